#include "http/ui.hpp"

namespace ypa::http {
namespace {

std::string content_type_of(std::string_view path) {
  auto ends = [&](std::string_view suffix) {
    return path.size() >= suffix.size() && path.substr(path.size() - suffix.size()) == suffix;
  };
  if (ends(".js")) return "text/javascript; charset=utf-8";
  if (ends(".css")) return "text/css; charset=utf-8";
  return "text/html; charset=utf-8";
}

const std::map<std::string, UiFile, std::less<>>& files() {
  static const std::map<std::string, UiFile, std::less<>> all = [] {
    std::map<std::string, UiFile, std::less<>> out;
    for (const auto& [path, bytes] : embedded_files()) {
      out.emplace(path, UiFile{std::make_shared<const SharedBody>(std::string(bytes)), content_type_of(path)});
    }
    return out;
  }();
  return all;
}

}  // namespace

const UiFile* ui_file(std::string_view path) {
  auto it = files().find(path);
  return it == files().end() ? nullptr : &it->second;
}

bool is_ui_path(std::string_view path) { return path == "/" || path.substr(0, 4) == "/ui/"; }

}  // namespace ypa::http
