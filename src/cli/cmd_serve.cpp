// `ypa serve`: the REST API of SPEC §10. Flags and settings here; the server lives in src/http.
#include <memory>

#include "cli/commands.hpp"
#include "core/settings.hpp"
#include "http/server.hpp"
#include "http/settings.hpp"

namespace ypa::cli {

void add_serve_command(CLI::App& app) {
  auto* cmd = app.add_subcommand("serve", "Serve the REST API (Django REST Framework-compatible JSON)");
  cmd->footer(
      "Endpoints: /api/overall-bars/, /api/cohort-bars/, /api/features/ (each with points/),\n"
      "/api/purchasing-time-analyses/ (and compact/), /api/runs/, /api/schema/, /healthz, /readyz, /metrics.\n"
      "Environment: API_JWT_SECRET (the Django SECRET_KEY), API_LISTEN, CLICKHOUSE_*, PG* or DATABASE_URL,\n"
      "API_THREADS, API_POOL_SIZE, API_CACHE_MS, API_CACHE_MAX_MB, API_NAMES_TTL_S, API_ALLOWED_HOSTS, API_BASE_URL,\n"
      "API_KEEP_ALIVE_S, API_KEEP_ALIVE_MAX, API_READ_TIMEOUT_S (docs/api.md).\n"
      "Only requests whose Host header names an allowed host are answered (others: 400); by default\n"
      "localhost, 127.0.0.1, [::1] and the listen address (every address of this machine for 0.0.0.0).\n"
      "Meant to run behind a reverse proxy (nginx etc.) for TLS and exposure to the internet.\n"
      "Answers are gzipped for clients that accept gzip (browsers; curl --compressed).\n\n"
      "Example:\n"
      "  API_JWT_SECRET=... ypa serve --listen 0.0.0.0:8000\n"
      "  curl --compressed -H \"Authorization: Bearer $TOKEN\" 'http://127.0.0.1:8000/api/overall-bars/?iphone=1&limit=2'");
  auto listen = std::make_shared<std::string>();
  auto no_auth = std::make_shared<bool>(false);
  auto allowed_hosts = std::make_shared<std::string>();
  cmd->add_option("--listen", *listen, "Address to listen on, host:port (env API_LISTEN, default 127.0.0.1:8000)")
      ->check(non_empty());
  cmd->add_flag("--no-auth", *no_auth, "Switch JWT authentication off (only allowed on loopback)");
  cmd->add_option("--allowed-hosts", *allowed_hosts,
                  "Host header values answered, comma-separated, as Django's ALLOWED_HOSTS: example.com, "
                  ".example.com (and subdomains), 10.0.0.5, [::1], * (env API_ALLOWED_HOSTS)")
      ->check(non_empty());
  cmd->callback([listen, no_auth, allowed_hosts] {
    http::ServeOptions o;
    o.api = http::ApiSettings::from_env();
    if (!listen->empty()) o.api.set_listen(*listen, "--listen");
    if (!allowed_hosts->empty()) o.api.set_allowed_hosts(*allowed_hosts, "--allowed-hosts");
    o.auth = !*no_auth;
    o.clickhouse = ClickHouseSettings::from_env();
    o.pipeline = PipelineSettings::from_env();
    o.postgres_conninfo = PostgresSettings::from_env().conninfo;
    http::serve(o);
  });
}

}  // namespace ypa::cli
