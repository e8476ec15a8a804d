#!/usr/bin/env bash
# Regenerates the settings table in docs/configuration.md from the binary, so
# the page cannot drift from the code (a unit test checks it).
set -euo pipefail
cd "$(dirname "$0")/.."
bin=${1:-build/rebound}
table=$(mktemp)
"$bin" config-doc > "$table"
awk -v table="$table" '
  /<!-- settings:begin/ { print; while ((getline line < table) > 0) print line; skip = 1; next }
  /<!-- settings:end/   { skip = 0 }
  !skip { print }
' docs/configuration.md > docs/configuration.md.new
mv docs/configuration.md.new docs/configuration.md
rm -f "$table"
