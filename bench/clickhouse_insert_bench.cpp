// Insert throughput of our native client against clickhouse-client's Native-format insert, on the same
// price_aligned rows and the same block sizes, runs alternating; prints medians in rows per second.
// With a TLS port, each run also inserts over TLS: ours (CLICKHOUSE_CA_CERTS, CLICKHOUSE_VERIFY) against
// `clickhouse-client --secure` trusting the same CA.
//
//   build/bench/clickhouse_insert_bench [rows=2000000] [runs=5] [block_rows=1048576] [tls_port]
//   (server from CLICKHOUSE_HOST / CLICKHOUSE_PORT, as for the integration tests)
#include <fmt/format.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <string>
#include <vector>

#include "clickhouse/client.hpp"
#include "core/settings.hpp"

namespace ch = ypa::clickhouse;

namespace {

constexpr const char* kColumns =
    "run_id, bucket, shop_id, iphone_id, price_new, price_a, price_b, alignment_diff_sec, record_time";

// The design document's price_aligned DDL (§5.1), as `ypa init` creates it.
std::string ddl(const std::string& table) {
  return "CREATE TABLE " + table +
         " (run_id String, bucket DateTime('Asia/Tokyo'), shop_id UInt32, iphone_id UInt32, price_new "
         "UInt32, "
         "price_a Nullable(UInt32), price_b Nullable(UInt32), alignment_diff_sec Int32, "
         "record_time DateTime('Asia/Tokyo'), inserted_at DateTime DEFAULT now()) "
         "ENGINE = ReplacingMergeTree(inserted_at) PARTITION BY (run_id, toYYYYMM(bucket)) "
         "ORDER BY (run_id, iphone_id, shop_id, bucket)";
}

// Rows shaped like the pipeline's output: 24 shops x 40 iPhones per 15-minute bucket, ~15% NULL
// grade prices, from 2025-01-01 Tokyo on.
std::vector<ch::Block> make_blocks(std::size_t rows, std::size_t block_rows) {
  std::vector<ch::Block> blocks;
  std::uint64_t state = 0x9e3779b97f4a7c15ULL;
  auto next = [&] {
    state ^= state << 13;
    state ^= state >> 7;
    state ^= state << 17;
    return state;
  };
  constexpr std::uint32_t kStart = 1735657200;  // 2025-01-01 00:00 JST
  for (std::size_t done = 0; done < rows;) {
    const std::size_t n = std::min(block_rows, rows - done);
    ch::Block b;
    auto& run_id = b.add<ch::ColumnString>("run_id");
    auto bucket = std::make_shared<ch::ColumnDateTime>("Asia/Tokyo");
    b.add("bucket", bucket);
    auto& shop = b.add<ch::ColumnUInt32>("shop_id");
    auto& iphone = b.add<ch::ColumnUInt32>("iphone_id");
    auto& price_new = b.add<ch::ColumnUInt32>("price_new");
    auto price_a = std::make_shared<ch::ColumnNullable>(std::make_shared<ch::ColumnUInt32>());
    auto price_b = std::make_shared<ch::ColumnNullable>(std::make_shared<ch::ColumnUInt32>());
    b.add("price_a", price_a).add("price_b", price_b);
    auto& diff = b.add<ch::ColumnInt32>("alignment_diff_sec");
    auto record_time = std::make_shared<ch::ColumnDateTime>("Asia/Tokyo");
    b.add("record_time", record_time);
    for (std::size_t i = 0; i < n; ++i) {
      const std::size_t row = done + i;
      const auto t = static_cast<std::uint32_t>(kStart + (row / 960) * 900);
      run_id.append("bench");
      bucket->append(t);
      shop.append(static_cast<std::uint32_t>(row % 24 + 1));
      iphone.append(static_cast<std::uint32_t>(row / 24 % 40 + 1));
      const auto p = static_cast<std::uint32_t>(80000 + next() % 120000);
      price_new.append(p);
      const auto r = next();
      price_a->append<ch::ColumnUInt32>(r % 7 == 0 ? std::nullopt : std::optional(p - 2000));
      price_b->append<ch::ColumnUInt32>(r % 5 == 0 ? std::nullopt : std::optional(p - 5000));
      const auto d = static_cast<std::int32_t>(next() % 900);
      diff.append(-d);
      record_time->append(t - static_cast<std::uint32_t>(d));
    }
    blocks.push_back(std::move(b));
    done += n;
  }
  return blocks;
}

double median(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  return v.size() % 2 == 1 ? v[v.size() / 2] : (v[v.size() / 2 - 1] + v[v.size() / 2]) / 2;
}

template <typename F>
double seconds_of(F&& f) {
  const auto start = std::chrono::steady_clock::now();
  f();
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
}

}  // namespace

int main(int argc, char** argv) {
  const std::size_t rows = argc > 1 ? std::stoul(argv[1]) : 2'000'000;
  const int runs = argc > 2 ? std::stoi(argv[2]) : 5;
  const std::size_t block_rows = argc > 3 ? std::stoul(argv[3]) : 1'048'576;
  const auto tls_port = static_cast<std::uint16_t>(argc > 4 ? std::stoul(argv[4]) : 0);

  const auto settings = ypa::ClickHouseSettings::from_env();
  ch::ClientOptions options = ch::ClientOptions::from_settings(settings);
  options.database = "default";
  ch::Client admin(options);
  const std::string db = fmt::format("bench_insert_{}", ::getpid());
  const std::string table = db + ".price_aligned";
  admin.execute("CREATE DATABASE " + db);

  const auto blocks = make_blocks(rows, block_rows);
  // The same rows as a Native-format file for clickhouse-client (Native = blocks without BlockInfo).
  const std::string file = fmt::format("/tmp/{}.native", db);
  {
    ypa::wire::Buffer out;
    for (const auto& b : blocks) ch::write_block(b, out, 0);
    std::ofstream(file, std::ios::binary).write(out.view().data(), static_cast<std::streamsize>(out.size()));
  }
  const std::string cli = fmt::format(
      "clickhouse-client --host '{}' --port {} --user '{}' --password '{}' --query 'INSERT INTO {} ({}) "
      "FORMAT "
      "Native' < {}",
      settings.host, settings.port, settings.user, settings.password, table, kColumns, file);

  // The same over TLS: our client with the TLS transport, clickhouse-client --secure with a config file
  // that trusts the same CA file.
  ch::ClientOptions tls_options;
  std::string cli_tls;
  const std::string client_config = fmt::format("/tmp/{}.client.xml", db);
  if (tls_port != 0) {
    auto secure = settings;
    secure.secure = true;
    secure.port = tls_port;
    tls_options = ch::ClientOptions::from_settings(secure);
    tls_options.database = "default";
    std::ofstream(client_config) << fmt::format(
        "<config><openSSL><client><loadDefaultCAFile>{}</loadDefaultCAFile>{}<verificationMode>{}</verificationMode>"
        "<invalidCertificateHandler><name>RejectCertificateHandler</name></invalidCertificateHandler>"
        "</client></openSSL></config>\n",
        settings.ca_certs.empty() ? "true" : "false",
        settings.ca_certs.empty() ? "" : "<caConfig>" + settings.ca_certs + "</caConfig>",
        settings.verify ? "strict" : "none");
    cli_tls = fmt::format(
        "clickhouse-client --config-file={} --secure --host '{}' --port {} --user '{}' --password '{}' --query "
        "'INSERT INTO {} ({}) FORMAT Native' < {}",
        client_config, settings.host, tls_port, settings.user, settings.password, table, kColumns, file);
  }

  auto fresh_table = [&] {
    admin.execute("DROP TABLE IF EXISTS " + table);
    admin.execute(ddl(table));
  };
  auto check = [&](const char* who) {
    const auto n = std::stoull(*admin.select_value("SELECT count() FROM " + table));
    if (n != rows) {
      std::fprintf(stderr, "%s inserted %llu rows, expected %zu\n", who, static_cast<unsigned long long>(n),
                   rows);
      std::exit(1);
    }
  };

  std::vector<double> ours;
  std::vector<double> ours_plain;
  std::vector<double> theirs;
  std::vector<double> ours_tls;
  std::vector<double> theirs_tls;
  auto run_cli = [&](const std::string& command) {
    return seconds_of([&] {
      if (std::system(command.c_str()) != 0) {
        std::fprintf(stderr, "clickhouse-client failed: %s\n", command.c_str());
        std::exit(1);
      }
    });
  };
  auto run_ours = [&](const ch::ClientOptions& o) {
    return seconds_of([&] {
      ch::Client client(o);
      ch::Inserter ins = client.begin_insert(table, {"run_id", "bucket", "shop_id", "iphone_id", "price_new", "price_a",
                                                     "price_b", "alignment_diff_sec", "record_time"});
      for (const auto& b : blocks) ins.write(b);
      ins.finish();
    });
  };
  for (int run = 0; run < runs; ++run) {
    fresh_table();
    theirs.push_back(run_cli(cli));
    check("clickhouse-client");
    if (tls_port != 0) {
      fresh_table();
      theirs_tls.push_back(run_cli(cli_tls));
      check("clickhouse-client --secure");
      fresh_table();
      ch::ClientOptions o = tls_options;
      o.compression = true;
      ours_tls.push_back(run_ours(o));
      check("ypa client over TLS");
      std::fprintf(stderr, "run %d: clickhouse-client --secure %.3f s, ours over TLS (lz4) %.3f s\n", run + 1,
                   theirs_tls.back(), ours_tls.back());
    }
    for (const bool compression : {true, false}) {
      fresh_table();
      const double s = seconds_of([&] {
        ch::ClientOptions o = options;
        o.compression = compression;
        ch::Client client(o);
        ch::Inserter ins =
            client.begin_insert(table, {"run_id", "bucket", "shop_id", "iphone_id", "price_new", "price_a",
                                        "price_b", "alignment_diff_sec", "record_time"});
        for (const auto& b : blocks) ins.write(b);
        ins.finish();
      });
      (compression ? ours : ours_plain).push_back(s);
      check("ypa client");
    }
    std::fprintf(stderr, "run %d: clickhouse-client %.3f s, ours (lz4) %.3f s, ours (none) %.3f s\n", run + 1,
                 theirs.back(), ours.back(), ours_plain.back());
  }
  admin.execute("DROP DATABASE " + db);
  std::remove(file.c_str());
  if (tls_port != 0) std::remove(client_config.c_str());

  const double r_theirs = static_cast<double>(rows) / median(theirs);
  const double r_ours = static_cast<double>(rows) / median(ours);
  const double r_plain = static_cast<double>(rows) / median(ours_plain);
  std::printf(
      "price_aligned insert, %zu rows in blocks of %zu, median of %d runs, server %s:%u (%s %llu.%llu)\n",
      rows, block_rows, runs, settings.host.c_str(), settings.port, admin.server_info().name.c_str(),
      static_cast<unsigned long long>(admin.server_info().version_major),
      static_cast<unsigned long long>(admin.server_info().version_minor));
  std::printf("| inserter | rows/s | vs clickhouse-client |\n|---|---:|---:|\n");
  std::printf("| clickhouse-client Native (stdin) | %.0f | 100%% |\n", r_theirs);
  std::printf("| ypa client, LZ4 (default) | %.0f | %.0f%% |\n", r_ours, 100 * r_ours / r_theirs);
  std::printf("| ypa client, no compression | %.0f | %.0f%% |\n", r_plain, 100 * r_plain / r_theirs);
  bool tls_ok = true;
  if (tls_port != 0) {
    const double r_theirs_tls = static_cast<double>(rows) / median(theirs_tls);
    const double r_ours_tls = static_cast<double>(rows) / median(ours_tls);
    std::printf("| clickhouse-client Native (stdin), --secure (TLS port %u) | %.0f | %.0f%% |\n", tls_port, r_theirs_tls,
                100 * r_theirs_tls / r_theirs);
    std::printf("| ypa client, LZ4, TLS | %.0f | %.0f%% (%.0f%% of clickhouse-client --secure) |\n", r_ours_tls,
                100 * r_ours_tls / r_theirs, 100 * r_ours_tls / r_theirs_tls);
    tls_ok = r_ours_tls >= 0.9 * r_theirs_tls;
  }
  return r_ours >= 0.9 * r_theirs && tls_ok ? 0 : 1;
}
