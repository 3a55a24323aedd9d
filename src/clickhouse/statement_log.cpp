#include "clickhouse/statement_log.hpp"

#include <fcntl.h>
#include <fmt/format.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <cstring>
#include <fstream>
#include <mutex>
#include <optional>

#include "core/env.hpp"
#include "core/errors.hpp"

namespace ypa::clickhouse::statement_log {
namespace {

struct Log {
  std::string path;
  bool rows = false;
  std::string cmd;  // this process's command line, arguments joined by spaces
  int fd = -1;
  std::mutex mutex;
  std::atomic<std::uint64_t> next{1};
};

std::string command_line() {
  std::ifstream in("/proc/self/cmdline", std::ios::binary);
  std::string raw((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  while (!raw.empty() && raw.back() == '\0') raw.pop_back();
  for (char& c : raw) {
    if (c == '\0') c = ' ';
  }
  return raw;
}

Log& log() {
  // Read (and the file opened) at the first connection, before anything is sent; a bad value throws
  // there, and the next call tries again.
  static Log* instance = [] {
    const std::string path = env::get_or("YPA_SQL_LOG", "");
    const bool rows = env::get_int("YPA_SQL_LOG_ROWS", 0, 0, 1) == 1;
    int fd = -1;
    if (!path.empty()) {
      fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
      if (fd < 0) {
        throw InputError(fmt::format("YPA_SQL_LOG: cannot open {}: {}", path, std::strerror(errno)));
      }
    }
    auto* l = new Log();  // lives as long as the process: clients of detached threads may still log
    l->path = path;
    l->rows = rows;
    l->fd = fd;
    if (!path.empty()) l->cmd = command_line();
    return l;
  }();
  return *instance;
}

void append_json_string(std::string& out, std::string_view s) {
  out += '"';
  for (const char ch : s) {
    const auto c = static_cast<unsigned char>(ch);
    switch (ch) {
      case '"':
        out += "\\\"";
        break;
      case '\\':
        out += "\\\\";
        break;
      case '\n':
        out += "\\n";
        break;
      case '\t':
        out += "\\t";
        break;
      case '\r':
        out += "\\r";
        break;
      default:
        if (c < 0x20 || c == 0x7f) {
          out += fmt::format("\\u{:04x}", c);
        } else {
          out += ch;  // UTF-8 passes through; other bytes are the reader's to judge
        }
    }
  }
  out += '"';
}

// One write() of the whole line on an O_APPEND descriptor: lines of processes logging to the same
// file at once do not interleave.
void write_line(Log& l, std::string line) {
  line += '\n';
  std::lock_guard lock(l.mutex);
  const char* p = line.data();
  std::size_t left = line.size();
  while (left > 0) {
    const ssize_t n = ::write(l.fd, p, left);
    if (n < 0) {
      if (errno == EINTR) continue;
      throw Error(fmt::format("YPA_SQL_LOG: cannot write {}: {}", l.path, std::strerror(errno)));
    }
    p += n;
    left -= static_cast<std::size_t>(n);
  }
}

}  // namespace

bool enabled() {
  return !log().path.empty();
}

std::uint64_t record_statement(std::string_view sql, const ServerInfo& server,
                               std::string_view insert_table) {
  Log& l = log();
  if (l.path.empty()) return 0;
  const std::uint64_t n = l.next.fetch_add(1);
  std::string line = fmt::format("{{\"pid\": {}, \"n\": {}, \"cmd\": ", ::getpid(), n);
  append_json_string(line, l.cmd);
  line += fmt::format(", \"server\": \"{}.{}.{}\", \"sql\": ", server.version_major, server.version_minor,
                      server.version_patch);
  append_json_string(line, sql);
  if (!insert_table.empty()) {
    line += ", \"table\": ";
    append_json_string(line, insert_table);
  }
  line += '}';
  write_line(l, std::move(line));
  return n;
}

void record_block(std::uint64_t n, std::string_view part, const Block& block,
                  const std::vector<std::string>* types) {
  Log& l = log();
  if (l.path.empty() || !l.rows || n == 0) return;
  std::string line = fmt::format("{{\"pid\": {}, \"n\": {}, \"part\": ", ::getpid(), n);
  append_json_string(line, part);
  line += ", \"names\": [";
  for (std::size_t c = 0; c < block.column_count(); ++c) {
    if (c != 0) line += ", ";
    append_json_string(line, block.name(c));
  }
  line += "], \"types\": [";
  for (std::size_t c = 0; c < block.column_count(); ++c) {
    if (c != 0) line += ", ";
    append_json_string(line,
                       types != nullptr && c < types->size() ? (*types)[c] : block.column(c).type_name());
  }
  line += "], \"rows\": [";
  std::string cell;
  for (std::size_t r = 0; r < block.row_count(); ++r) {
    line += r == 0 ? "[" : ", [";
    for (std::size_t c = 0; c < block.column_count(); ++c) {
      if (c != 0) line += ", ";
      const Column& column = block.column(c);
      if (column.is_null(r)) {
        line += "null";
        continue;
      }
      cell.clear();
      column.append_text(r, cell);
      append_json_string(line, cell);
    }
    line += ']';
  }
  line += "]}";
  write_line(l, std::move(line));
}

void record_error(std::uint64_t n, std::int32_t code) {
  Log& l = log();
  if (l.path.empty() || n == 0) return;
  write_line(
      l, fmt::format("{{\"pid\": {}, \"n\": {}, \"part\": \"error\", \"code\": {}}}", ::getpid(), n, code));
}

}  // namespace ypa::clickhouse::statement_log
