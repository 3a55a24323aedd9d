#include "http/server.hpp"

#include <httplib.h>
#include <spdlog/spdlog.h>

#include <arpa/inet.h>
#include <fmt/ranges.h>
#include <ifaddrs.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <csignal>
#include <cstdio>
#include <limits>
#include <string>
#include <thread>
#include <vector>

#include "core/errors.hpp"
#include "http/allowed_hosts.hpp"
#include "http/api.hpp"
#include "http/connection.hpp"
#include "http/encoding.hpp"
#include "http/jwt.hpp"
#include "postgres/source_schema.hpp"
#include "wire/transport.hpp"

namespace ypa::http {
namespace {

constexpr int kListenBacklog = 1024;
// Django REST framework's handler for a 400 raised outside a view (rest_framework.exceptions.bad_request),
// which is what Django answers a DisallowedHost with in a DRF project; written compactly, as the API's
// other answers.
constexpr const char* kBadRequest = R"js({"error":"Bad Request (400)"})js";

ConnectionLimits connection_limits(const ApiSettings& s) {
  ConnectionLimits limits;
  limits.keep_alive = std::chrono::seconds(s.keep_alive_s);
  limits.max_requests = static_cast<std::size_t>(s.keep_alive_max);
  limits.read_timeout = std::chrono::seconds(s.read_timeout_s);
  return limits;
}

// The machine's own addresses (every interface's) and its host name: what clients name a server that
// listens on every address (0.0.0.0 or ::).
std::vector<std::string> machine_names() {
  std::vector<std::string> names;
  ifaddrs* list = nullptr;
  if (::getifaddrs(&list) == 0) {
    for (ifaddrs* i = list; i != nullptr; i = i->ifa_next) {
      if (i->ifa_addr == nullptr) continue;
      const int family = i->ifa_addr->sa_family;
      if (family != AF_INET && family != AF_INET6) continue;
      char text[INET6_ADDRSTRLEN] = {};
      const void* address = family == AF_INET
                                ? static_cast<const void*>(&reinterpret_cast<sockaddr_in*>(i->ifa_addr)->sin_addr)
                                : static_cast<const void*>(&reinterpret_cast<sockaddr_in6*>(i->ifa_addr)->sin6_addr);
      if (::inet_ntop(family, address, text, sizeof text) != nullptr) names.emplace_back(text);
    }
    ::freeifaddrs(list);
  }
  char host[256] = {};
  if (::gethostname(host, sizeof host - 1) == 0) names.emplace_back(host);
  return names;
}

AllowedHosts default_allowed_hosts(const ApiSettings& s) {
  std::vector<std::string> others;
  if (host_pattern_of(s.host).empty()) others = machine_names();  // a wildcard listen address
  if (auto base = s.base_url_host(); !base.empty()) others.push_back(base);
  return AllowedHosts::defaults(s.host, others);
}

// One log line per second at most for refused Host headers: a scanner sends many.
class HostRefusalLog {
 public:
  void note(const std::string& host) {
    const auto now = std::chrono::steady_clock::now().time_since_epoch().count();
    auto last = last_.load();
    ++count_;
    if (now - last < std::chrono::nanoseconds(std::chrono::seconds(1)).count()) return;
    if (!last_.compare_exchange_strong(last, now)) return;
    std::string shown = host.substr(0, 100);
    for (char& c : shown) {
      if (static_cast<unsigned char>(c) < 0x20 || static_cast<unsigned char>(c) >= 0x7f) c = '?';
    }
    spdlog::warn("Host \"{}\" is not an allowed host (API_ALLOWED_HOSTS): answered 400 ({} refused so far)", shown,
                 count_.load());
  }

 private:
  std::atomic<std::int64_t> last_{std::numeric_limits<std::int64_t>::min() / 2};
  std::atomic<std::uint64_t> count_{0};
};

std::atomic<httplib::Server*> g_server{nullptr};

extern "C" void stop_on_signal(int) {
  if (auto* s = g_server.load()) s->stop();
}

}  // namespace

void serve(const ServeOptions& o) {
  // 127.0.0.0/8, ::1 and localhost: the only addresses `--no-auth` may listen on.
  if (!o.auth && !wire::is_loopback(o.api.host)) {
    throw InputError(fmt::format("--no-auth: authentication may only be switched off on a loopback address, not {}",
                                 o.api.host));
  }
  if (o.auth && o.api.jwt_secret.empty()) {
    throw InputError("API_JWT_SECRET: not set; it must hold the Django SECRET_KEY that signs the access tokens "
                     "(or use --no-auth on a loopback address)");
  }
  // A short HMAC key can be found by trying keys offline against any one token.
  if (o.auth && o.api.jwt_secret.size() < kMinSecretBytes) {
    throw InputError(fmt::format("API_JWT_SECRET: {} bytes is too short; HS256 needs a key of at least {} bytes "
                                 "(RFC 7518 section 3.2), such as Django's 50-character SECRET_KEY",
                                 o.api.jwt_secret.size(), kMinSecretBytes));
  }
  auto client_options = clickhouse::ClientOptions::from_settings(o.clickhouse);
  client_options.connect_timeout = std::chrono::milliseconds(o.api.connect_timeout_ms);
  client_options.io_timeout = std::chrono::milliseconds(o.api.query_timeout_ms);
  ClickHousePool pool(client_options, PoolOptions{static_cast<std::size_t>(o.api.pool_size),
                                                  std::chrono::milliseconds(o.api.pool_wait_ms),
                                                  std::chrono::milliseconds(10000)});
  NameCache names(o.postgres_conninfo, postgres::SourceTables::from_env(), std::chrono::seconds(o.api.names_ttl_s));
  Metrics metrics;
  ApiConfig config{o.clickhouse.database, o.pipeline, o.auth, o.api.jwt_secret, o.api.cache_ms, {}, 366, store::HealthThresholds::from_env()};
  config.tokens.secret = o.api.jwt_secret;
  config.tokens.lifetimes = TokenLifetimes{o.api.access_lifetime_s, o.api.refresh_lifetime_s};
  config.tokens.max_failures = o.api.login_max_failures;
  config.tokens.window = std::chrono::seconds(o.api.login_window_s);
  config.tokens.postgres_conninfo = o.postgres_conninfo;
  config.tokens.user_table = postgres::SourceTables::from_env().auth_user;
  config.compare_max_days = o.api.compare_max_days;
  config.cache_max_bytes = static_cast<std::size_t>(o.api.cache_max_mb) << 20;
  Api api(std::move(config), pool, &names, metrics);

  LimitedServer server(connection_limits(o.api), static_cast<std::size_t>(o.api.threads));
  server.set_payload_max_length(64 * 1024);
  // Debian's cpp-httplib is a compiled library: its CPPHTTPLIB_* defaults (Nagle on, a listen backlog of 5,
  // SO_REUSEPORT) were fixed when it was built, so they are set here at run time instead.
  // - Nagle off: httplib writes the headers and the body in separate sends, and the body's last partial
  //   segment would otherwise wait for the client's delayed ACK (up to 40 ms).
  // - SO_REUSEADDR, not SO_REUSEPORT: a second server on the same port fails instead of sharing it.
  // - A backlog of 1024 (set again after bind, see below): with 5, dozens of clients connecting at once
  //   overflow the accept queue, and the dropped ones wait a second or more for their SYN to be resent.
  server.set_tcp_nodelay(true);
  int listen_fd = -1;
  server.set_socket_options([&listen_fd](int fd) {
    int yes = 1;
    ::setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &yes, sizeof yes);
    listen_fd = fd;
  });
  const std::string listen_host = o.api.listen();
  const AllowedHosts allowed_hosts = o.api.allowed_hosts ? *o.api.allowed_hosts : default_allowed_hosts(o.api);
  HostRefusalLog refusals;
  auto handler = [&](const httplib::Request& req, httplib::Response& res) {
    auto start = std::chrono::steady_clock::now();
    // The Host header goes into pagination links and the cache key: a host that is not ours (or two
    // Host headers) is refused first, as Django refuses it (DisallowedHost -> 400).
    if (req.has_header("Host") &&
        (req.get_header_value_count("Host") != 1 || !allowed_hosts.allows(req.get_header_value("Host")))) {
      refusals.note(req.get_header_value("Host"));
      res.status = 400;
      res.set_content(kBadRequest, "application/json");
      double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
      metrics.observe(api.endpoint_of(req.path), 400, seconds);
      return;
    }
    Request r;
    r.method = req.method;
    r.path = req.path;
    auto q = req.target.find('?');
    r.raw_query = q == std::string::npos ? "" : req.target.substr(q + 1);
    // An HTTP/1.0 client may send no Host: it reached the listen address.
    const std::string host = req.has_header("Host") ? req.get_header_value("Host") : listen_host;
    r.origin = o.api.base_url.empty() ? "http://" + host : o.api.base_url;
    if (req.has_header("Authorization")) r.authorization = req.get_header_value("Authorization");
    if (req.has_header("Content-Type")) r.content_type = req.get_header_value("Content-Type");
    r.body = req.body;
    for (const auto& [name, part] : req.files) r.multipart.push_back({name, part.content, !part.filename.empty()});
    r.client_address = req.remote_addr;
    Response out = api.handle(r);
    res.status = out.status;
    for (const auto& [name, value] : out.headers) res.set_header(name, value);
    res.set_header("Vary", "Accept, Accept-Encoding");
    const bool gzip_ok = accepts_gzip(req.get_header_value("Accept-Encoding"));
    auto body = encode_body(out.shared_body, std::move(out.body), gzip_ok);
    if (body.gzipped) res.set_header("Content-Encoding", "gzip");
    if (body.bytes->empty()) {
      // (httplib takes a content provider of length 0 for one of unknown length, and waits for its end.)
      res.set_content(std::string(), out.content_type);
    } else {
      // Through a content provider of known length: httplib would otherwise compress the body itself
      // (brotli at its slowest setting for a browser) and copy it.
      res.set_content_provider(body.bytes->size(), out.content_type,
                               [bytes = body.bytes](std::size_t offset, std::size_t length, httplib::DataSink& sink) {
                                 return sink.write(bytes->data() + offset, length);
                               });
    }
    double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    metrics.observe(api.endpoint_of(r.path), out.status, seconds);
  };
  for (const char* pattern : {".*"}) {
    server.Get(pattern, handler);
    server.Post(pattern, handler);
    server.Put(pattern, handler);
    server.Patch(pattern, handler);
    server.Delete(pattern, handler);
    server.Options(pattern, handler);
  }
  server.set_exception_handler(
      [](const httplib::Request& req, httplib::Response& res, std::exception_ptr error) {
        // Api::handle answers its own failures; what reaches here is a bug, logged without the query string.
        try {
          if (error) std::rethrow_exception(error);
          spdlog::error("{} {}: unhandled error", req.method, req.path);
        } catch (const std::exception& e) {
          spdlog::error("{} {}: unhandled error: {}", req.method, req.path, e.what());
        } catch (...) {
          spdlog::error("{} {}: unhandled error that is not a std::exception", req.method, req.path);
        }
        res.status = 500;
        res.set_content(R"js({"error":"Server Error (500)"})js", "application/json");
      });

  if (!server.bind_to_port(o.api.host, o.api.port)) {
    throw UnavailableError(fmt::format("--listen: cannot listen on {} (address in use or not local)", o.api.listen()));
  }
  // listen() on a listening socket only changes its backlog.
  if (listen_fd >= 0) ::listen(listen_fd, kListenBacklog);
  g_server.store(&server);
  std::signal(SIGINT, stop_on_signal);
  std::signal(SIGTERM, stop_on_signal);
  std::printf("ypa serve: listening on http://%s (ClickHouse %s:%u/%s, auth %s)\n", o.api.listen().c_str(),
              o.clickhouse.host.c_str(), static_cast<unsigned>(o.clickhouse.port), o.clickhouse.database.c_str(),
              o.auth ? "on" : "off");
  const std::string hosts = fmt::format("{}", fmt::join(allowed_hosts.patterns(), ", "));
  std::printf("ypa serve: answering Host %s (%s)\n", hosts.c_str(),
              o.api.allowed_hosts ? "API_ALLOWED_HOSTS" : "the default; set API_ALLOWED_HOSTS for other names");
  std::fflush(stdout);
  server.listen_after_bind();
  g_server.store(nullptr);
  std::signal(SIGINT, SIG_DFL);
  std::signal(SIGTERM, SIG_DFL);
}

}  // namespace ypa::http
