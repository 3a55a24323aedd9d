#include "http/server.hpp"

#include <httplib.h>
#include <spdlog/spdlog.h>

#include <sys/socket.h>

#include <atomic>
#include <csignal>
#include <cstdio>
#include <thread>

#include "core/errors.hpp"
#include "http/api.hpp"
#include "http/encoding.hpp"
#include "postgres/source_schema.hpp"
#include "wire/transport.hpp"

namespace ypa::http {
namespace {

constexpr int kListenBacklog = 1024;

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
  auto client_options = clickhouse::ClientOptions::from_settings(o.clickhouse);
  client_options.connect_timeout = std::chrono::milliseconds(o.api.connect_timeout_ms);
  client_options.io_timeout = std::chrono::milliseconds(o.api.query_timeout_ms);
  ClickHousePool pool(client_options, PoolOptions{static_cast<std::size_t>(o.api.pool_size),
                                                  std::chrono::milliseconds(o.api.pool_wait_ms),
                                                  std::chrono::milliseconds(10000)});
  NameCache names(o.postgres_conninfo, postgres::SourceTables::from_env(), std::chrono::seconds(o.api.names_ttl_s));
  Metrics metrics;
  Api api(ApiConfig{o.clickhouse.database, o.pipeline, o.auth, o.api.jwt_secret, o.api.cache_ms}, pool, &names,
          metrics);

  httplib::Server server;
  const int threads = o.api.threads;
  // httplib takes ownership of the queue it gets from this factory (its interface needs a raw pointer).
  server.new_task_queue = [threads] { return new httplib::ThreadPool(static_cast<std::size_t>(threads)); };
  server.set_keep_alive_max_count(100000);
  server.set_keep_alive_timeout(5);
  server.set_read_timeout(5, 0);
  server.set_write_timeout(5, 0);
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
  auto handler = [&](const httplib::Request& req, httplib::Response& res) {
    auto start = std::chrono::steady_clock::now();
    Request r;
    r.method = req.method;
    r.path = req.path;
    auto q = req.target.find('?');
    r.raw_query = q == std::string::npos ? "" : req.target.substr(q + 1);
    r.host = req.has_header("Host") ? req.get_header_value("Host") : listen_host;
    if (req.has_header("Authorization")) r.authorization = req.get_header_value("Authorization");
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
  std::fflush(stdout);
  server.listen_after_bind();
  g_server.store(nullptr);
  std::signal(SIGINT, SIG_DFL);
  std::signal(SIGTERM, SIG_DFL);
}

}  // namespace ypa::http
