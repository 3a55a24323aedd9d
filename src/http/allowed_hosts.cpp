#include "http/allowed_hosts.hpp"

#include <arpa/inet.h>
#include <fmt/format.h>
#include <netinet/in.h>

#include <algorithm>

#include "core/errors.hpp"

namespace ypa::http {
namespace {

bool is_name_char(char c) {
  return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '.' || c == '-';
}
bool is_hex_char(char c) {
  return (c >= 'a' && c <= 'f') || (c >= '0' && c <= '9');
}
bool is_digit(char c) {
  return c >= '0' && c <= '9';
}

std::string lowercase(std::string_view s) {
  std::string out(s);
  for (char& c : out) {
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
  }
  return out;
}

// Django's is_same_domain: a pattern with a leading dot matches its domain and every subdomain.
bool is_same_domain(std::string_view domain, std::string_view pattern) {
  if (pattern.empty()) return false;
  if (pattern.front() == '.') return domain.ends_with(pattern) || domain == pattern.substr(1);
  return domain == pattern;
}

}  // namespace

std::optional<HostName> split_host(std::string_view raw) {
  const std::string host = lowercase(raw);
  // ^([a-z0-9.-]+|\[[a-f0-9]*:[a-f0-9\.:]+\])(:\d+)?$
  std::size_t domain_end = 0;
  if (!host.empty() && host.front() == '[') {
    auto close = host.find(']');
    if (close == std::string::npos) return std::nullopt;
    std::string_view inside = std::string_view(host).substr(1, close - 1);
    auto colon = inside.find(':');
    if (colon == std::string_view::npos || colon + 1 == inside.size()) return std::nullopt;
    if (!std::all_of(inside.begin(), inside.begin() + static_cast<std::ptrdiff_t>(colon), is_hex_char)) {
      return std::nullopt;
    }
    if (!std::all_of(inside.begin() + static_cast<std::ptrdiff_t>(colon), inside.end(),
                     [](char c) { return is_hex_char(c) || c == ':' || c == '.'; })) {
      return std::nullopt;
    }
    domain_end = close + 1;
  } else {
    while (domain_end < host.size() && is_name_char(host[domain_end])) ++domain_end;
    if (domain_end == 0) return std::nullopt;
  }
  std::string_view rest = std::string_view(host).substr(domain_end);
  if (!rest.empty()) {
    if (rest.front() != ':' || rest.size() == 1 || !std::all_of(rest.begin() + 1, rest.end(), is_digit)) {
      return std::nullopt;
    }
  }
  HostName out{host.substr(0, domain_end), rest.empty() ? std::string() : std::string(rest.substr(1))};
  if (out.domain.back() == '.') out.domain.pop_back();
  // Django's get_host() refuses what leaves no domain (".", ".:80").
  if (out.domain.empty()) return std::nullopt;
  return out;
}

AllowedHosts::AllowedHosts(std::vector<std::string> patterns) {
  for (auto& p : patterns) patterns_.push_back(lowercase(p));
}

AllowedHosts AllowedHosts::parse(std::string_view list, std::string_view what) {
  std::vector<std::string> patterns;
  std::size_t start = 0;
  while (start <= list.size()) {
    auto comma = list.find(',', start);
    if (comma == std::string_view::npos) comma = list.size();
    std::string_view item = list.substr(start, comma - start);
    while (!item.empty() && item.front() == ' ') item.remove_prefix(1);
    while (!item.empty() && item.back() == ' ') item.remove_suffix(1);
    start = comma + 1;
    if (item.empty()) {
      throw InputError(fmt::format("{}: \"{}\" has an empty item; list host names separated by commas", what,
                                   std::string(list)));
    }
    if (item == "*") {
      patterns.emplace_back(item);
      continue;
    }
    std::string_view name = item.front() == '.' ? item.substr(1) : item;
    auto parts = split_host(name);
    if (!parts || !parts->port.empty() || parts->domain != lowercase(name)) {
      throw InputError(fmt::format(
          "{}: \"{}\" can never match a Host header; write a name or address without scheme, port or path "
          "(example.com, .example.com for it and its subdomains, 10.0.0.5, [::1]) or *",
          what, std::string(item)));
    }
    patterns.emplace_back(item);
  }
  return AllowedHosts(std::move(patterns));
}

AllowedHosts AllowedHosts::defaults(std::string_view listen_host, std::span<const std::string> other_names) {
  std::vector<std::string> patterns{".localhost", "127.0.0.1", "[::1]"};
  auto add = [&](std::string_view name) {
    std::string pattern = host_pattern_of(name);
    if (!pattern.empty() && std::find(patterns.begin(), patterns.end(), pattern) == patterns.end()) {
      patterns.push_back(std::move(pattern));
    }
  };
  add(listen_host);
  for (const auto& name : other_names) add(name);
  return AllowedHosts(std::move(patterns));
}

bool AllowedHosts::allows(std::string_view host) const {
  auto parts = split_host(host);
  if (!parts) return false;
  return std::any_of(patterns_.begin(), patterns_.end(),
                     [&](const std::string& p) { return p == "*" || is_same_domain(parts->domain, p); });
}

std::string host_pattern_of(std::string_view address) {
  const std::string text(address);
  in6_addr v6{};
  if (::inet_pton(AF_INET6, text.c_str(), &v6) == 1) {
    if (IN6_IS_ADDR_UNSPECIFIED(&v6)) return {};
    char canonical[INET6_ADDRSTRLEN] = {};
    ::inet_ntop(AF_INET6, &v6, canonical, sizeof canonical);
    return fmt::format("[{}]", canonical);
  }
  in_addr v4{};
  if (::inet_pton(AF_INET, text.c_str(), &v4) == 1 && v4.s_addr == htonl(INADDR_ANY)) return {};
  auto parts = split_host(text);
  if (!parts || !parts->port.empty() || text.front() == '[') return {};
  return parts->domain;
}

}  // namespace ypa::http
