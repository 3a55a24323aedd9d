// Which Host headers `ypa serve` answers, decided as Django decides with ALLOWED_HOSTS (Django 3.2's
// django.http.request.split_domain_port and validate_host). The Host a client sends ends up in the
// pagination links and in the response cache's key, so a name the operator did not list is refused
// before either sees it.
#pragma once

#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace ypa::http {

// A Host header value taken apart as Django's split_domain_port does it: the domain lowercased and
// without one trailing dot, the port as written (empty when none).
struct HostName {
  std::string domain;
  std::string port;
};

// nullopt when `host` is not a name of letters, digits, dots and hyphens or a bracketed IPv6 address,
// with an optional `:port` of digits (Django's host_validation_re, case-insensitive).
std::optional<HostName> split_host(std::string_view host);

class AllowedHosts {
 public:
  // Patterns as Django's ALLOWED_HOSTS holds them: `*` (any well-formed host), `.example.com` (that
  // domain and every subdomain), or a name or address that must match exactly (`example.com`,
  // `10.0.0.5`, `[::1]`). Matching ignores case and the port.
  explicit AllowedHosts(std::vector<std::string> patterns);

  // A comma-separated list of patterns (spaces around items ignored). InputError naming `what` and the
  // item for one that could never match a Host header: a port, a scheme, a path, an empty list.
  static AllowedHosts parse(std::string_view list, std::string_view what);

  // What `ypa serve` accepts when no list is configured: loopback names as Django's DEBUG default has
  // them (`.localhost`, `127.0.0.1`, `[::1]`), the listen address when it is one address (an IPv6 one
  // in brackets), and `other_names` (the machine's own addresses and name for a wildcard listen
  // address, the host of API_BASE_URL). Names that no Host header can hold are left out.
  static AllowedHosts defaults(std::string_view listen_host, std::span<const std::string> other_names);

  // Whether a Host header value is well formed and names an allowed host (Django: get_host()).
  bool allows(std::string_view host) const;

  const std::vector<std::string>& patterns() const { return patterns_; }

 private:
  std::vector<std::string> patterns_;  // lowercased
};

// `address` as a Host header names it: an IPv6 address in brackets, anything else as it is; empty for
// a wildcard address (0.0.0.0, ::) and for an IPv6 address with a zone (fe80::1%eth0).
std::string host_pattern_of(std::string_view address);

}  // namespace ypa::http
