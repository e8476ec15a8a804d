#!/usr/bin/env bash
# Installs the Debian 12 packages rebound needs, only those missing, with
# sudo when not root. Safe to run repeatedly: it does nothing when all are there.
set -euo pipefail

packages=(
  build-essential cmake pkg-config
  libboost1.81-dev libboost-json1.81-dev libboost-url1.81-dev
  libsimdjson-dev libpqxx-dev libssl-dev catch2
  postgresql-15 postgresql-common postgresql-client-15
  chromium fonts-noto-cjk
)
# node and npm build the dashboard; a node already on PATH (often newer than
# Debian's) is kept.
command -v node >/dev/null 2>&1 || packages+=(nodejs npm)

missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
[ ${#missing[@]} -eq 0 ] && exit 0

echo "installing: ${missing[*]}"
sudo=""
[ "$(id -u)" -ne 0 ] && sudo="sudo"
export DEBIAN_FRONTEND=noninteractive
$sudo apt-get update -qq
$sudo apt-get install -y -qq --no-install-recommends "${missing[@]}"
