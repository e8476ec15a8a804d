# Turns the built dashboard (dashboard/dist/**, made by `make dashboard`) into
# a C++ table of byte arrays with each file's path, Content-Type and ETag, so
# the binary serves its own dashboard with no files beside it.
# Invoked as: cmake -DDIST=<dashboard/dist or empty> -DOUT=... -P embed_dashboard.cmake
# An empty DIST (REBOUND_DASHBOARD=OFF) embeds no file: /dashboard answers 404.

set(types_html "text/html; charset=utf-8")
set(types_js "text/javascript; charset=utf-8")
set(types_mjs "text/javascript; charset=utf-8")
set(types_css "text/css; charset=utf-8")
set(types_json "application/json")
set(types_map "application/json")
set(types_svg "image/svg+xml")
set(types_png "image/png")
set(types_ico "image/x-icon")
set(types_webp "image/webp")
set(types_woff2 "font/woff2")
set(types_txt "text/plain; charset=utf-8")
set(types_webmanifest "application/manifest+json")

set(files "")
if(DIST)
  if(NOT EXISTS "${DIST}/index.html")
    # A clear way out rather than a binary whose /dashboard is silently empty.
    message(FATAL_ERROR
      "${DIST}/index.html is missing: the dashboard is not built.\n"
      "Run `make dashboard` (npm ci && npm run build in dashboard/; needs node >= 18 and npm), "
      "or configure with -DREBOUND_DASHBOARD=OFF to build rebound without it.")
  endif()
  file(GLOB_RECURSE files RELATIVE "${DIST}" "${DIST}/*")
  list(SORT files)
endif()

# 32 bytes per line keeps the generated file readable in a diff viewer.
string(REPEAT "[0-9a-f]" 64 line_pattern)

set(arrays "")
set(entries "")
set(index 0)
foreach(rel IN LISTS files)
  get_filename_component(name "${rel}" NAME)
  if(name MATCHES "^\\.")
    continue()
  endif()
  string(REGEX MATCH "[^.]+$" ext "${name}")
  string(TOLOWER "${ext}" ext)
  if(DEFINED types_${ext})
    set(type "${types_${ext}}")
  else()
    set(type "application/octet-stream")
  endif()
  file(SIZE "${DIST}/${rel}" size)
  file(SHA256 "${DIST}/${rel}" digest)
  string(SUBSTRING "${digest}" 0 20 etag)
  file(READ "${DIST}/${rel}" hex HEX)
  string(REGEX REPLACE "(${line_pattern})" "\\1\n" hex "${hex}")
  string(REGEX REPLACE "([0-9a-f][0-9a-f])" "0x\\1," bytes "${hex}")
  # A trailing 0 so that an empty file is still a valid array.
  string(APPEND arrays "// ${rel}\nconstexpr unsigned char file_${index}[] = {\n${bytes}0};\n\n")
  string(APPEND entries "    {\"${rel}\", \"${type}\", \"\\\"${etag}\\\"\", file_${index}, ${size}},\n")
  math(EXPR index "${index} + 1")
endforeach()

if(index EQUAL 0)
  set(table "constexpr entry* entries = nullptr;\nconstexpr std::size_t count = 0;\n")
else()
  set(table "constexpr entry entries[] = {\n${entries}};\nconstexpr std::size_t count = std::size(entries);\n")
endif()

set(body "// Generated from dashboard/dist by cmake/embed_dashboard.cmake. Do not edit.
#include <cstddef>
#include <iterator>
#include <string_view>

namespace rebound::api::dashboard_bundle {

namespace {

struct entry {
    char const* path;
    char const* content_type;
    char const* etag;
    unsigned char const* data;
    std::size_t size;
};

${arrays}${table}
}  // namespace

std::size_t
size() noexcept
{
    return count;
}

void
at(std::size_t i, std::string_view& path, std::string_view& content_type, std::string_view& etag,
   std::string_view& data) noexcept
{
    if constexpr (count > 0) {
        auto const& e = entries[i];
        path = e.path;
        content_type = e.content_type;
        etag = e.etag;
        data = {reinterpret_cast<char const*>(e.data), e.size};
    }
}

}  // namespace rebound::api::dashboard_bundle
")

if(EXISTS "${OUT}")
  file(READ "${OUT}" old)
endif()
if(NOT old STREQUAL body)
  file(WRITE "${OUT}" "${body}")
endif()
