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
      "API_THREADS, API_POOL_SIZE, API_CACHE_MS, API_NAMES_TTL_S (docs/api.md).\n"
      "Answers are gzipped for clients that accept gzip (browsers; curl --compressed).\n\n"
      "Example:\n"
      "  API_JWT_SECRET=... ypa serve --listen 0.0.0.0:8000\n"
      "  curl --compressed -H \"Authorization: Bearer $TOKEN\" 'http://127.0.0.1:8000/api/overall-bars/?iphone=1&limit=2'");
  auto listen = std::make_shared<std::string>();
  auto no_auth = std::make_shared<bool>(false);
  cmd->add_option("--listen", *listen, "Address to listen on, host:port (env API_LISTEN, default 127.0.0.1:8000)")
      ->check(non_empty());
  cmd->add_flag("--no-auth", *no_auth, "Switch JWT authentication off (only allowed on loopback)");
  cmd->callback([listen, no_auth] {
    http::ServeOptions o;
    o.api = http::ApiSettings::from_env();
    if (!listen->empty()) o.api.set_listen(*listen, "--listen");
    o.auth = !*no_auth;
    o.clickhouse = ClickHouseSettings::from_env();
    o.pipeline = PipelineSettings::from_env();
    o.postgres_conninfo = PostgresSettings::from_env().conninfo;
    http::serve(o);
  });
}

}  // namespace ypa::cli
