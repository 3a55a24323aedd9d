// The dashboard's files (docs/dashboard.md): src/http/ui/ and Debian's dygraphs, compiled into the
// binary by cmake/embed_files.cmake, served at `/` and under `/ui/` without a token (the page itself
// asks for one and sends it with its API requests).
#pragma once

#include <functional>
#include <map>
#include <memory>
#include <string>
#include <string_view>

#include "http/encoding.hpp"

namespace ypa::http {

// URL path -> bytes, as embedded (generated source).
const std::map<std::string, std::string_view, std::less<>>& embedded_files();

struct UiFile {
  std::shared_ptr<const SharedBody> body;  // shared: its gzip form is made once
  std::string content_type;
};

// The file served at `path`, or null when the path is none of the dashboard's.
const UiFile* ui_file(std::string_view path);

// Whether `path` belongs to the dashboard (`/` or under `/ui/`), known or not.
bool is_ui_path(std::string_view path);

}  // namespace ypa::http
