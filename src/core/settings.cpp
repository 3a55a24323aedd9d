#include "core/settings.hpp"

#include <fmt/format.h>
#include <fmt/ranges.h>

#include <filesystem>
#include <fstream>
#include <iterator>

#include "core/env.hpp"
#include "core/errors.hpp"
#include "core/time.hpp"

namespace ypa {
namespace {

// CLICKHOUSE_CA_CERTS must name a readable file holding at least one PEM certificate; the TLS layer
// then loads it (and names the file again if OpenSSL cannot use what it holds).
void check_ca_file(const std::string& path) {
  std::error_code ec;
  if (!std::filesystem::is_regular_file(path, ec)) {
    throw InputError(fmt::format("CLICKHOUSE_CA_CERTS='{}': not a file", path));
  }
  std::ifstream in(path);
  std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  if (!in.good() && !in.eof()) throw InputError(fmt::format("CLICKHOUSE_CA_CERTS='{}': cannot be read", path));
  if (text.find("-----BEGIN CERTIFICATE-----") == std::string::npos) {
    throw InputError(fmt::format("CLICKHOUSE_CA_CERTS='{}': holds no PEM certificate (-----BEGIN CERTIFICATE-----)", path));
  }
}

}  // namespace

ClickHouseSettings ClickHouseSettings::from_env() {
  ClickHouseSettings s;
  s.host = env::get_or("CLICKHOUSE_HOST", s.host);
  s.secure = env::get_bool("CLICKHOUSE_SECURE", s.secure);
  s.verify = env::get_bool("CLICKHOUSE_VERIFY", s.verify);
  s.ca_certs = env::get_or("CLICKHOUSE_CA_CERTS", "");
  if (!s.ca_certs.empty()) check_ca_file(s.ca_certs);
  if (s.secure) s.port = 9440;
  s.port = static_cast<std::uint16_t>(env::get_int("CLICKHOUSE_PORT", s.port, 1, 65535));
  s.database = env::get_or("CLICKHOUSE_DB", s.database);
  s.user = env::get_or("CLICKHOUSE_USER", s.user);
  s.password = env::get_or("CLICKHOUSE_PASSWORD", s.password);
  s.cluster = env::get_or("CLICKHOUSE_CLUSTER", "");
  s.compression = env::get_or("CLICKHOUSE_COMPRESSION", s.compression);
  if (s.compression != "auto" && s.compression != "on" && s.compression != "off") {
    throw InputError(fmt::format("CLICKHOUSE_COMPRESSION='{}': expected auto, on or off", s.compression));
  }
  // Both end up in DDL text.
  for (const auto& [name, value] :
       {std::pair{"CLICKHOUSE_DB", &s.database}, std::pair{"CLICKHOUSE_CLUSTER", &s.cluster}}) {
    for (char c : *value) {
      bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_';
      if (!ok) throw InputError(fmt::format("{}='{}': only letters, digits and _ are allowed", name, *value));
    }
  }
  return s;
}

PostgresSettings PostgresSettings::from_env() {
  PostgresSettings s;
  s.conninfo = env::get_or("DATABASE_URL", "");
  // libpq would refuse these too, but its message names a connection option ("port"), not the variable
  // the user set. The value of DATABASE_URL is not repeated: it may hold a password.
  if (!s.conninfo.empty() && !s.conninfo.starts_with("postgresql://") &&
      !s.conninfo.starts_with("postgres://") && s.conninfo.find('=') == std::string::npos) {
    throw InputError(
        "DATABASE_URL: expected a postgresql:// URL or libpq settings such as 'host=db dbname=ypa'");
  }
  if (auto ports = env::get("PGPORT")) {
    // A comma-separated list, one port per host of PGHOST; an empty item means the default port.
    std::string_view rest = *ports;
    while (true) {
      auto comma = rest.find(',');
      auto item = rest.substr(0, comma);
      if (!item.empty()) env::parse_int(item, "PGPORT", 1, 65535);
      if (comma == std::string_view::npos) break;
      rest.remove_prefix(comma + 1);
    }
  }
  return s;
}

PipelineSettings PipelineSettings::from_env() {
  PipelineSettings s;
  s.time_zone = env::get_or("PIPELINE_TZ", s.time_zone);
  s.interval_min = static_cast<int>(env::get_int("PIPELINE_INTERVAL_MIN", s.interval_min, 1, 1440));
  s.lookback_min = static_cast<int>(env::get_int("PIPELINE_LOOKBACK_MIN", s.lookback_min, 1, 7 * 1440));
  s.min_quorum = static_cast<int>(env::get_int("PIPELINE_MIN_QUORUM", s.min_quorum, 0, 1'000'000));
  if (auto windows = env::get("FEATURE_WINDOWS_MIN")) {
    s.window_min.clear();
    for (auto w : env::parse_int_list(*windows, "FEATURE_WINDOWS_MIN", 1, 365 * 1440)) {
      s.window_min.push_back(static_cast<int>(w));
    }
  }
  s.outlier_band = env::get_double("OUTLIER_BAND", s.outlier_band, 0.0, 1e6);
  s.boll_k = env::get_double("BOLL_K", s.boll_k, 0.0, 1e6);
  s.batch_days = static_cast<int>(env::get_int("PIPELINE_BATCH_DAYS", s.batch_days, 1, 3660));
  s.device = env::get_or("PIPELINE_DEVICE", s.device);
  s.backup_keep = static_cast<int>(env::get_int("BACKUP_KEEP", s.backup_keep, 0, 1000));
  s.validate();
  return s;
}

void PipelineSettings::validate() const {
  try {
    TimeZone zone(time_zone);
  } catch (const InputError&) {
    throw InputError(
        fmt::format("PIPELINE_TZ='{}': not a zone of the system's tz database (e.g. Asia/Tokyo)", time_zone));
  }
  if (1440 % interval_min != 0) {
    throw InputError(fmt::format("PIPELINE_INTERVAL_MIN={}: must divide a day (1440 minutes)", interval_min));
  }
  // PIPELINE_DEVICE is checked where the device is chosen (compute::resolve_device), after a --device
  // flag had the chance to override it.
  for (int w : window_min) {
    if (w % interval_min != 0) {
      throw InputError(fmt::format("FEATURE_WINDOWS_MIN={}: window {} is not a multiple of the {}-minute interval",
                                   fmt::join(window_min, ","), w, interval_min));
    }
  }
}

}  // namespace ypa
