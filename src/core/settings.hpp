// Configuration from the environment (SPEC §11), with the design document's names and defaults.
// Command-line flags override these fields after loading.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace ypa {

struct ClickHouseSettings {
  std::string host = "localhost";
  std::uint16_t port = 9000;
  std::string database = "yamagoti";
  std::string user = "default";
  std::string password;
  // A cluster of the servers' remote_servers: `ypa init` then makes replicated *_local tables ON CLUSTER
  // and Distributed tables under the usual names, and writes go through them synchronously.
  std::string cluster;
  // LZ4 on the wire: "on", "off", or "auto" = off for a server on this machine (loopback), where
  // compressing costs both sides CPU and saves nothing, and on for any other host.
  std::string compression = "auto";
  // TLS, as clickhouse-driver's secure/verify/ca_certs: with `secure` the port defaults to 9440 (the
  // servers' tcp_port_secure); `verify` checks the certificate chain and host name; `ca_certs` is a PEM
  // file of trusted CAs (empty = the system's store).
  bool secure = false;
  bool verify = true;
  std::string ca_certs;

  // CLICKHOUSE_HOST, CLICKHOUSE_PORT, CLICKHOUSE_DB, CLICKHOUSE_USER, CLICKHOUSE_PASSWORD,
  // CLICKHOUSE_CLUSTER, CLICKHOUSE_COMPRESSION, CLICKHOUSE_SECURE, CLICKHOUSE_VERIFY, CLICKHOUSE_CA_CERTS.
  static ClickHouseSettings from_env();
};

struct PostgresSettings {
  // A libpq connection string. Empty means "libpq's own PG* variables"; DATABASE_URL wins when set.
  std::string conninfo;

  static PostgresSettings from_env();
};

struct PipelineSettings {
  std::string time_zone = "Asia/Tokyo";            // PIPELINE_TZ
  int interval_min = 15;                           // PIPELINE_INTERVAL_MIN
  int lookback_min = 15;                           // PIPELINE_LOOKBACK_MIN
  int min_quorum = 16;                             // PIPELINE_MIN_QUORUM
  std::vector<int> window_min = {120, 900, 1800};  // FEATURE_WINDOWS_MIN
  double outlier_band = 0.25;                      // OUTLIER_BAND
  double boll_k = 2.0;                             // BOLL_K
  int batch_days = 30;                             // PIPELINE_BATCH_DAYS
  std::string device = "auto";                     // PIPELINE_DEVICE
  int backup_keep = 2;                             // BACKUP_KEEP

  // Reads the variables above; throws InputError naming the first malformed one, including a feature
  // window that is not a positive multiple of the interval.
  static PipelineSettings from_env();
  void validate() const;
};

}  // namespace ypa
