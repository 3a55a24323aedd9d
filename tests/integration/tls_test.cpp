// TLS end to end (docs/tls.md). The suite makes its own CA and server certificate with the openssl CLI,
// starts its own ClickHouse 18.16 with tcp_port_secure and a user with a password, and its own
// PostgreSQL with ssl=on that refuses connections without TLS, all on fresh ports beside the shared test
// stack (whose PostgreSQL holds the source data). Results are checked with clickhouse-client --secure,
// psql and the same pipeline run over the shared stack's plain connection.
#include <arpa/inet.h>
#include <fmt/format.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <nlohmann/json.hpp>
#include <signal.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <map>
#include <optional>
#include <filesystem>
#include <fstream>
#include <string>
#include <thread>
#include <vector>

#include "stack/process.hpp"
#include "support/databases.hpp"
#include "support/run_command.hpp"
#include "support/stack_env.hpp"

namespace ypa::testing {
namespace {

namespace fs = std::filesystem;
using namespace std::chrono_literals;

constexpr const char* kUser = "ypa_tls";
constexpr const char* kPassword = "s3cret pass";
// The client's default connect timeout (ClientOptions::connect_timeout): every failure must end before.
constexpr auto kConnectTimeout = 5s;

// A port nobody listens on now: the kernel's choice for a socket bound to port 0.
std::uint16_t free_port() {
  int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t len = sizeof a;
  if (fd < 0 || ::bind(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) != 0 ||
      ::getsockname(fd, reinterpret_cast<sockaddr*>(&a), &len) != 0) {
    throw std::runtime_error("cannot find a free port");
  }
  ::close(fd);
  return ntohs(a.sin_port);
}

void write_file(const std::string& path, const std::string& text) {
  std::ofstream out(path);
  out << text;
  if (!out) throw std::runtime_error("cannot write " + path);
}

std::string read_file(const std::string& path) {
  std::ifstream in(path);
  return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

// Runs a command that must succeed (setup steps); throws with its output otherwise.
void must(const std::vector<std::string>& argv, const std::vector<std::string>& env = {}) {
  auto r = run_command(argv, env);
  if (r.exit_code != 0) throw std::runtime_error(argv[0] + " failed: " + r.err + r.out);
}

bool one_line(const std::string& err) {
  return !err.empty() && err.find('\n') == err.size() - 1;
}

class TlsTest : public ::testing::Test {
 protected:
  static inline std::string dir_;
  static inline std::uint16_t ch_port_ = 0, ch_secure_port_ = 0, ch_http_port_ = 0, pg_port_ = 0;
  static inline int ch_pid_ = -1;
  static inline bool pg_started_ = false;
  static inline std::optional<stack::RunAs> run_as_;
  static inline std::string ch_db_;
  static inline Databases* source_ = nullptr;  // the shared stack's PostgreSQL source data (and plain ClickHouse)

  static std::string path(const std::string& name) { return dir_ + "/" + name; }

  static void SetUpTestSuite() {
    try {
      set_up();
    } catch (const std::exception& e) {
      FAIL() << "setting up the TLS servers: " << e.what();
    }
  }

  static void make_certificates() {
    const std::string days = "2";
    // The test's CA, a server certificate it signs (localhost and 127.0.0.1), and an unrelated CA.
    must({"openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", path("ca.key"), "-out",
          path("ca.pem"), "-days", days, "-subj", "/CN=ypa test CA"});
    must({"openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", path("other_ca.key"), "-out",
          path("other_ca.pem"), "-days", days, "-subj", "/CN=another CA"});
    must({"openssl", "req", "-newkey", "rsa:2048", "-nodes", "-keyout", path("server.key"), "-out",
          path("server.csr"), "-subj", "/CN=localhost"});
    write_file(path("server.ext"), "subjectAltName=DNS:localhost,IP:127.0.0.1\n");
    must({"openssl", "x509", "-req", "-in", path("server.csr"), "-CA", path("ca.pem"), "-CAkey", path("ca.key"),
          "-CAcreateserial", "-out", path("server.pem"), "-days", days, "-extfile", path("server.ext")});
  }

  static void start_clickhouse() {
    const std::string root = path("clickhouse");
    for (const char* sub : {"data", "tmp", "log"}) fs::create_directories(root + "/" + sub);
    write_file(root + "/config.xml", fmt::format(R"xml(<?xml version="1.0"?>
<yandex>
  <logger><level>warning</level><log>{root}/log/server.log</log><errorlog>{root}/log/error.log</errorlog></logger>
  <listen_host>127.0.0.1</listen_host>
  <tcp_port>{tcp}</tcp_port>
  <tcp_port_secure>{secure}</tcp_port_secure>
  <http_port>{http}</http_port>
  <openSSL>
    <server>
      <certificateFile>{dir}/server.pem</certificateFile>
      <privateKeyFile>{dir}/server.key</privateKeyFile>
      <verificationMode>none</verificationMode>
      <loadDefaultCAFile>false</loadDefaultCAFile>
      <disableProtocols>sslv2,sslv3</disableProtocols>
    </server>
  </openSSL>
  <path>{root}/data/</path>
  <tmp_path>{root}/tmp/</tmp_path>
  <users_config>{root}/users.xml</users_config>
  <default_profile>default</default_profile>
  <default_database>default</default_database>
  <mark_cache_size>104857600</mark_cache_size>
  <uncompressed_cache_size>104857600</uncompressed_cache_size>
</yandex>
)xml",
                                                 fmt::arg("root", root), fmt::arg("dir", dir_), fmt::arg("tcp", ch_port_),
                                                 fmt::arg("secure", ch_secure_port_), fmt::arg("http", ch_http_port_)));
    // `default` (no password) is for the test's own setup over the plain port; ypa logs in as kUser.
    write_file(root + "/users.xml", fmt::format(R"xml(<?xml version="1.0"?>
<yandex>
  <profiles><default></default></profiles>
  <users>
    <default><password></password><networks><ip>127.0.0.1</ip></networks><profile>default</profile><quota>default</quota></default>
    <{user}><password>{password}</password><networks><ip>127.0.0.1</ip></networks><profile>default</profile><quota>default</quota></{user}>
  </users>
  <quotas><default></default></quotas>
</yandex>
)xml",
                                                fmt::arg("user", kUser), fmt::arg("password", kPassword)));
    // clickhouse-client's own TLS settings: trust the test's CA only.
    write_file(path("client.xml"), fmt::format(R"xml(<config>
  <openSSL><client>
    <loadDefaultCAFile>false</loadDefaultCAFile>
    <caConfig>{dir}/ca.pem</caConfig>
    <verificationMode>strict</verificationMode>
    <invalidCertificateHandler><name>RejectCertificateHandler</name></invalidCertificateHandler>
  </client></openSSL>
</config>
)xml",
                                               fmt::arg("dir", dir_)));
    std::string server = "clickhouse-server";
    if (fs::exists("/usr/sbin/clickhouse-server")) server = "/usr/sbin/clickhouse-server";
    ch_pid_ = spawn_background({server, "--config-file=" + root + "/config.xml"}, {}, root + "/log/stdout.log");
    // Ready when both ports answer a query (each attempt is a real query; the pause only paces them).
    const auto deadline = std::chrono::steady_clock::now() + 120s;
    while (plain_client("SELECT 1").exit_code != 0 || secure_client("SELECT 1").exit_code != 0) {
      if (!stack::is_alive(ch_pid_)) {
        throw std::runtime_error("clickhouse-server exited: " + read_file(root + "/log/stdout.log") +
                                 read_file(root + "/log/error.log"));
      }
      if (std::chrono::steady_clock::now() > deadline) throw std::runtime_error("clickhouse-server did not answer");
      std::this_thread::sleep_for(200ms);
    }
  }

  static void start_postgres() {
    run_as_ = stack::service_account();
    const std::string root = path("postgres");
    stack::make_dirs(root, run_as_);
    // The server reads its key only when it is private to its account.
    fs::copy_file(path("server.key"), root + "/server.key");
    fs::copy_file(path("server.pem"), root + "/server.pem");
    ::chmod((root + "/server.key").c_str(), 0600);
    if (run_as_) stack::chown_tree(root, *run_as_);
    std::string bin_dir;
    for (const char* candidate : {"/usr/lib/postgresql/15/bin", "/usr/lib/postgresql/16/bin", "/usr/lib/postgresql/17/bin"}) {
      if (fs::exists(std::string(candidate) + "/pg_ctl")) bin_dir = std::string(candidate) + "/";
    }
    stack::run_to_completion({{bin_dir + "initdb", "-D", root + "/data", "-U", "ypa", "-A", "trust", "-E", "UTF8",
                               "--locale=C"},
                              run_as_,
                              root + "/initdb.log",
                              false},
                             "initdb");
    // TCP only with TLS: a connection that succeeds proves it used TLS.
    write_file(root + "/data/pg_hba.conf",
               "local all all trust\n"
               "hostssl all all 127.0.0.1/32 trust\n"
               "hostssl all all ::1/128 trust\n"
               "hostnossl all all 0.0.0.0/0 reject\n"
               "hostnossl all all ::/0 reject\n");
    if (run_as_) stack::chown_tree(root, *run_as_);
    const std::string options = fmt::format(
        "-p {} -c listen_addresses=localhost -c unix_socket_directories={} -c ssl=on -c ssl_cert_file={} "
        "-c ssl_key_file={}",
        pg_port_, root, root + "/server.pem", root + "/server.key");
    stack::run_to_completion(
        {{bin_dir + "pg_ctl", "-D", root + "/data", "-l", root + "/server.log", "-w", "-t", "120", "-o", options, "start"},
         run_as_,
         "",
         true},
        "pg_ctl start");
    pg_started_ = true;
  }

  static void set_up() {
    char tmpl[] = "/tmp/ypa_tls_test_XXXXXX";
    if (::mkdtemp(tmpl) == nullptr) throw std::runtime_error("mkdtemp failed");
    dir_ = tmpl;
    ::chmod(dir_.c_str(), 0755);  // the PostgreSQL account must reach its folder
    ch_port_ = free_port();
    ch_secure_port_ = free_port();
    ch_http_port_ = free_port();
    pg_port_ = free_port();
    if (ch_secure_port_ == ch_port_ || ch_http_port_ == ch_port_ || ch_http_port_ == ch_secure_port_ ||
        pg_port_ == ch_port_ || pg_port_ == ch_secure_port_ || pg_port_ == ch_http_port_) {
      throw std::runtime_error("the kernel handed out one port twice");
    }
    make_certificates();
    start_clickhouse();
    start_postgres();
    // A database other than `default`, made by the operator (the user ypa logs in as need not create it).
    ch_db_ = unique_name("tls_ch");
    auto r = plain_client("CREATE DATABASE " + ch_db_);
    if (r.exit_code != 0) throw std::runtime_error("CREATE DATABASE: " + r.err);
    source_ = new Databases("tls_src");
    auto gen = source_->ypa({"datagen", "--from", "2025-01-06", "--to", "2025-01-07", "--shops", "5", "--iphones", "6"});
    if (gen.exit_code != 0) throw std::runtime_error("datagen: " + gen.err);
  }

  static void TearDownTestSuite() {
    delete source_;
    source_ = nullptr;
    if (ch_pid_ > 0) {
      if (!stack::terminate(ch_pid_, SIGTERM, 30s)) stack::terminate(ch_pid_, SIGKILL, 10s);
      ::waitpid(ch_pid_, nullptr, WNOHANG);
    }
    if (pg_started_) {
      std::string bin_dir;
      for (const char* candidate : {"/usr/lib/postgresql/15/bin", "/usr/lib/postgresql/16/bin", "/usr/lib/postgresql/17/bin"}) {
        if (fs::exists(std::string(candidate) + "/pg_ctl")) bin_dir = std::string(candidate) + "/";
      }
      try {
        stack::run_to_completion({{bin_dir + "pg_ctl", "-D", path("postgres/data"), "-m", "immediate", "-w", "stop"},
                                  run_as_,
                                  "",
                                  false},
                                 "pg_ctl stop");
      } catch (const std::exception& e) {
        ADD_FAILURE() << e.what();
      }
    }
    if (!dir_.empty()) {
      std::error_code ec;
      fs::remove_all(dir_, ec);
    }
  }

  // clickhouse-client on the plain port as `default` (setup and checks).
  static CommandResult plain_client(const std::string& query) {
    return run_command({"clickhouse-client", "--host", "127.0.0.1", "--port", std::to_string(ch_port_), "--query", query});
  }
  // clickhouse-client over TLS as the password user, trusting only the test's CA.
  static CommandResult secure_client(const std::string& query) {
    return run_command({"clickhouse-client", "--config-file=" + path("client.xml"), "--secure", "--host", "localhost",
                        "--port", std::to_string(ch_secure_port_), "--user", kUser, "--password", kPassword, "--query",
                        query});
  }

  // The environment of a ypa command that reads the shared stack's PostgreSQL and writes the TLS server.
  static std::vector<std::string> tls_env(std::vector<std::string> extra = {}) {
    std::vector<std::string> e{"PGDATABASE=" + source_->name(),
                               "CLICKHOUSE_HOST=localhost",
                               "CLICKHOUSE_PORT=" + std::to_string(ch_secure_port_),
                               "CLICKHOUSE_SECURE=1",
                               "CLICKHOUSE_VERIFY=1",
                               "CLICKHOUSE_CA_CERTS=" + path("ca.pem"),
                               std::string("CLICKHOUSE_USER=") + kUser,
                               std::string("CLICKHOUSE_PASSWORD=") + kPassword,
                               "CLICKHOUSE_DB=" + ch_db_,
                               "CLICKHOUSE_CLUSTER="};
    e.insert(e.end(), extra.begin(), extra.end());
    return e;
  }

  // A run's rows on the TLS server, read back with clickhouse-client --secure, in the column order
  // and format of Databases::dump (the same run computed over the shared stack's plain connection).
  static std::string tls_dump(const std::string& run, const std::string& table) {
    std::string columns = "iphone_id, shop_id, bucket, price_new, price_a, price_b, alignment_diff_sec, record_time";
    std::string order = "iphone_id, shop_id, bucket";
    if (table != "price_aligned") {
      auto names = secure_client("SELECT arrayStringConcat(groupArray(name), ', ') FROM system.columns WHERE "
                                 "database = '" + ch_db_ + "' AND table = '" + table +
                                 "' AND name NOT IN ('run_id', 'inserted_at')");
      EXPECT_EQ(names.exit_code, 0) << names.err;
      columns = names.out.substr(0, names.out.size() - 1);
      order = "scope, bucket";
    }
    auto r = secure_client("SELECT " + columns + " FROM " + ch_db_ + "." + table + " FINAL WHERE run_id = '" + run +
                           "' ORDER BY " + order + " FORMAT TSV");
    EXPECT_EQ(r.exit_code, 0) << r.err;
    return r.out;
  }

  static std::int64_t tls_count(const std::string& table, const std::string& run) {
    auto r = secure_client("SELECT count() FROM " + ch_db_ + "." + table + " WHERE run_id = '" + run + "'");
    EXPECT_EQ(r.exit_code, 0) << r.err;
    return r.exit_code == 0 ? std::stoll(r.out) : -1;
  }

  struct Timed {
    CommandResult result;
    std::chrono::milliseconds elapsed;
  };
  static Timed timed_ypa(const std::vector<std::string>& args, const std::vector<std::string>& env) {
    const auto start = std::chrono::steady_clock::now();
    auto r = run_ypa(args, env);
    return {r, std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() - start)};
  }
};

TEST_F(TlsTest, PipelineAndRunCommandsOverVerifiedTls) {
  ASSERT_NE(source_, nullptr);
  auto init = run_ypa({"init"}, tls_env());
  ASSERT_EQ(init.exit_code, 0) << init.err;

  // The same run computed over TLS (into the password user's database) and over the shared stack's
  // plain connection must give the same rows.
  for (const char* run : {"tls_a", "tls_b"}) {
    auto r = run_ypa({"run_pipeline", "--run-id", run, "--from", "2025-01-06", "--to", "2025-01-07"}, tls_env());
    ASSERT_EQ(r.exit_code, 0) << r.err;
  }
  auto plain = source_->ypa({"run_pipeline", "--run-id", "tls_a", "--from", "2025-01-06", "--to", "2025-01-07"});
  ASSERT_EQ(plain.exit_code, 0) << plain.err;
  for (const char* table : {"price_aligned", "features_wide"}) {
    const std::string over_tls = tls_dump("tls_a", table);
    EXPECT_GT(std::count(over_tls.begin(), over_tls.end(), '\n'), 100) << table;
    EXPECT_EQ(over_tls, source_->dump("tls_a", table)) << table;
  }
  // Nothing went to `default`: the rows are in the database the variables name.
  auto in_default = plain_client("SELECT count() FROM system.tables WHERE database = 'default' AND name = 'price_aligned'");
  EXPECT_EQ(in_default.out, "0\n");

  auto list = run_ypa({"list_runs", "--json"}, tls_env());
  ASSERT_EQ(list.exit_code, 0) << list.err;
  auto runs = nlohmann::json::parse(list.out);
  std::map<std::string, std::int64_t> listed;
  for (const auto& run : runs) listed[run["run_id"].get<std::string>()] = run["tables"]["price_aligned"]["rows"].get<std::int64_t>();
  EXPECT_EQ(listed.size(), 2u);
  EXPECT_EQ(listed["tls_a"], tls_count("price_aligned", "tls_a"));
  EXPECT_EQ(listed["tls_b"], tls_count("price_aligned", "tls_b"));

  auto compare = run_ypa({"compare_runs", "--base", "tls_a", "--target", "tls_b", "--json"}, tls_env());
  EXPECT_EQ(compare.exit_code, 0) << compare.err << compare.out;

  auto promote = run_ypa({"promote_run", "--from", "tls_b", "--to", "live", "--confirm"}, tls_env());
  ASSERT_EQ(promote.exit_code, 0) << promote.err;
  EXPECT_EQ(tls_dump("live", "price_aligned"), tls_dump("tls_b", "price_aligned"));
  EXPECT_EQ(tls_dump("live", "features_wide"), tls_dump("tls_b", "features_wide"));

  auto drop = run_ypa({"drop_run", "--run-id", "tls_b", "--confirm"}, tls_env());
  ASSERT_EQ(drop.exit_code, 0) << drop.err;
  EXPECT_EQ(tls_count("price_aligned", "tls_b"), 0);
  EXPECT_EQ(tls_count("features_wide", "tls_b"), 0);
  EXPECT_GT(tls_count("price_aligned", "tls_a"), 0);

  // `ypa serve` over TLS: /readyz pings the server, /api/runs/ lists what clickhouse-client counts.
  const std::uint16_t api_port = free_port();
  const std::string base = "http://127.0.0.1:" + std::to_string(api_port);
  const int pid = spawn_background({ypa_binary(), "serve", "--listen", "127.0.0.1:" + std::to_string(api_port), "--no-auth"},
                                   tls_env(), path("serve.log"));
  auto get = [&](const std::string& url) {
    return run_command({"curl", "-s", "-o", "-", "-w", "\n%{http_code}", "--max-time", "30", base + url});
  };
  const auto deadline = std::chrono::steady_clock::now() + 60s;
  std::string ready;
  while (true) {
    auto r = get("/readyz");
    ready = r.out.substr(r.out.rfind('\n') + 1);
    if (ready == "200" || !stack::is_alive(pid) || std::chrono::steady_clock::now() > deadline) break;
    std::this_thread::sleep_for(100ms);
  }
  EXPECT_EQ(ready, "200") << read_file(path("serve.log"));
  auto api = get("/api/runs/");
  const auto split = api.out.rfind('\n');
  EXPECT_EQ(api.out.substr(split + 1), "200") << api.out;
  if (split != std::string::npos && api.out.substr(split + 1) == "200") {
    auto body = nlohmann::json::parse(api.out.substr(0, split));
    const auto& items = body.is_object() && body.contains("results") ? body["results"] : body;
    std::map<std::string, std::int64_t> served;
    for (const auto& run : items) served[run["run_id"].get<std::string>()] = run["tables"]["features_wide"]["rows"].get<std::int64_t>();
    EXPECT_EQ(served.size(), 2u) << body.dump();
    EXPECT_EQ(served["live"], tls_count("features_wide", "live"));
    EXPECT_EQ(served["tls_a"], tls_count("features_wide", "tls_a"));
  }
  stack::terminate(pid, SIGTERM, 10s);
  ::waitpid(pid, nullptr, 0);
}

TEST_F(TlsTest, FailuresEndWithinTheTimeoutNamingTheCause) {
  ASSERT_NE(source_, nullptr);
  struct Case {
    const char* what;
    std::vector<std::string> env;
    std::string cause;
  };
  const std::vector<Case> cases{
      {"a CA that did not sign the server's certificate", {"CLICKHOUSE_CA_CERTS=" + path("other_ca.pem")},
       "certificate verify failed: unable to get local issuer certificate"},
      {"the system's store, which does not hold the test's CA", {"CLICKHOUSE_CA_CERTS="},
       "certificate verify failed: unable to get local issuer certificate"},
      {"a plain connection to the TLS port", {"CLICKHOUSE_SECURE=0"}, "set CLICKHOUSE_SECURE=1"},
      {"a TLS connection to the plain port", {"CLICKHOUSE_PORT=" + std::to_string(ch_port_)},
       "(the server does not speak TLS on this port: a plain port?)"},
  };
  for (const auto& c : cases) {
    auto t = timed_ypa({"list_runs"}, tls_env(c.env));
    EXPECT_EQ(t.result.exit_code, 2) << c.what << ": " << t.result.out;
    EXPECT_TRUE(one_line(t.result.err)) << c.what << ": " << t.result.err;
    EXPECT_NE(t.result.err.find(c.cause), std::string::npos) << c.what << ": " << t.result.err;
    EXPECT_LT(t.elapsed, kConnectTimeout) << c.what;
  }
  // Without verification the unrelated CA no longer matters.
  auto unverified = run_ypa({"list_runs"}, tls_env({"CLICKHOUSE_VERIFY=0", "CLICKHOUSE_CA_CERTS=" + path("other_ca.pem")}));
  EXPECT_EQ(unverified.exit_code, 0) << unverified.err;
}

TEST_F(TlsTest, SilentServerEndsAtTheConnectTimeout) {
  ASSERT_NE(source_, nullptr);
  // A listening socket that never answers: the kernel completes the TCP connect, nothing replies to the
  // TLS ClientHello. The handshake must give up at the connect timeout, not wait for the read timeout.
  int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t len = sizeof a;
  ASSERT_EQ(::bind(fd, reinterpret_cast<sockaddr*>(&a), sizeof a), 0);
  ASSERT_EQ(::listen(fd, 8), 0);
  ASSERT_EQ(::getsockname(fd, reinterpret_cast<sockaddr*>(&a), &len), 0);
  auto t = timed_ypa({"list_runs"}, tls_env({"CLICKHOUSE_PORT=" + std::to_string(ntohs(a.sin_port))}));
  ::close(fd);
  EXPECT_EQ(t.result.exit_code, 2);
  EXPECT_TRUE(one_line(t.result.err)) << t.result.err;
  EXPECT_NE(t.result.err.find("TLS handshake with localhost:" + std::to_string(ntohs(a.sin_port)) +
                              ": no answer within 5000 ms"),
            std::string::npos)
      << t.result.err;
  EXPECT_GE(t.elapsed, kConnectTimeout - 100ms);
  EXPECT_LT(t.elapsed, kConnectTimeout + 5s);
}

TEST_F(TlsTest, HostNameIsVerified) {
  ASSERT_NE(source_, nullptr);
  // A certificate for another name, signed by the trusted CA: the chain verifies, the name does not.
  must({"openssl", "req", "-newkey", "rsa:2048", "-nodes", "-keyout", path("elsewhere.key"), "-out",
        path("elsewhere.csr"), "-subj", "/CN=db.example.com"});
  write_file(path("elsewhere.ext"), "subjectAltName=DNS:db.example.com\n");
  must({"openssl", "x509", "-req", "-in", path("elsewhere.csr"), "-CA", path("ca.pem"), "-CAkey", path("ca.key"),
        "-CAcreateserial", "-out", path("elsewhere.pem"), "-days", "2", "-extfile", path("elsewhere.ext")});
  // openssl s_server stands in for the server: the check happens before any ClickHouse byte is sent.
  const std::uint16_t port = free_port();
  const int pid = spawn_background({"openssl", "s_server", "-accept", "127.0.0.1:" + std::to_string(port), "-cert",
                                    path("elsewhere.pem"), "-key", path("elsewhere.key"), "-quiet"},
                                   {}, path("s_server.log"));
  // Ready when it accepts a TLS handshake (openssl s_client trusting the CA, not checking the name).
  const auto deadline = std::chrono::steady_clock::now() + 30s;
  while (run_command({"sh", "-c", "openssl s_client -connect 127.0.0.1:" + std::to_string(port) + " -CAfile " +
                                      path("ca.pem") + " -verify_return_error </dev/null"})
             .exit_code != 0) {
    ASSERT_TRUE(stack::is_alive(pid)) << read_file(path("s_server.log"));
    ASSERT_LT(std::chrono::steady_clock::now(), deadline);
    std::this_thread::sleep_for(100ms);
  }
  for (const char* host : {"localhost", "127.0.0.1"}) {
    auto t = timed_ypa({"list_runs"}, tls_env({std::string("CLICKHOUSE_HOST=") + host,
                                               "CLICKHOUSE_PORT=" + std::to_string(port)}));
    EXPECT_EQ(t.result.exit_code, 2) << host;
    EXPECT_TRUE(one_line(t.result.err)) << t.result.err;
    const std::string expected = std::string(host) == "localhost" ? "certificate verify failed: hostname mismatch"
                                                                  : "certificate verify failed: IP address mismatch";
    EXPECT_NE(t.result.err.find(expected), std::string::npos) << t.result.err;
    EXPECT_LT(t.elapsed, kConnectTimeout);
  }
  stack::terminate(pid, SIGTERM, 10s);
  ::waitpid(pid, nullptr, 0);
}

TEST_F(TlsTest, BadValuesExitTwoWithOneLineAndChangeNothing) {
  ASSERT_NE(source_, nullptr);
  write_file(path("not_a_cert.pem"), "hello\n");
  const std::vector<std::pair<std::string, std::string>> cases{
      {"CLICKHOUSE_SECURE=maybe", "CLICKHOUSE_SECURE='maybe'"},
      {"CLICKHOUSE_SECURE=2", "CLICKHOUSE_SECURE='2'"},
      {"CLICKHOUSE_VERIFY=sometimes", "CLICKHOUSE_VERIFY='sometimes'"},
      {"CLICKHOUSE_CA_CERTS=" + path("missing.pem"), "CLICKHOUSE_CA_CERTS='" + path("missing.pem") + "': not a file"},
      {"CLICKHOUSE_CA_CERTS=" + dir_, "CLICKHOUSE_CA_CERTS='" + dir_ + "': not a file"},
      {"CLICKHOUSE_CA_CERTS=" + path("not_a_cert.pem"), "CLICKHOUSE_CA_CERTS='" + path("not_a_cert.pem") + "': holds no PEM"},
  };
  const std::string fresh_db = unique_name("tls_untouched");
  for (const auto& [setting, message] : cases) {
    // `init` would create this database: a refused value must leave the server unchanged.
    auto r = run_ypa({"init"}, tls_env({setting, "CLICKHOUSE_DB=" + fresh_db}));
    EXPECT_EQ(r.exit_code, 2) << setting;
    EXPECT_TRUE(one_line(r.err)) << setting << ": " << r.err;
    EXPECT_EQ(r.err.rfind("ypa: error: " + message, 0), 0u) << setting << ": " << r.err;
  }
  auto exists = plain_client("EXISTS DATABASE " + fresh_db);
  if (exists.exit_code != 0) exists = plain_client("SELECT count() FROM system.databases WHERE name = '" + fresh_db + "'");
  EXPECT_EQ(exists.out, "0\n");
}

TEST_F(TlsTest, PostgresVerifiedConnectionThroughLibpq) {
  ASSERT_TRUE(pg_started_);
  const std::vector<std::string> pg{"DATABASE_URL=", "PGHOST=localhost", "PGPORT=" + std::to_string(pg_port_),
                                    "PGUSER=ypa", "PGDATABASE=postgres", "PGSSLMODE=verify-full"};
  auto with = [&](std::vector<std::string> extra) {
    std::vector<std::string> e = pg;
    e.insert(e.end(), extra.begin(), extra.end());
    return e;
  };
  // The wrong root certificate: libpq refuses, and ypa says why in one line.
  auto wrong = run_ypa({"init", "--source-schema"}, with({"PGSSLROOTCERT=" + path("other_ca.pem")}));
  EXPECT_EQ(wrong.exit_code, 2);
  EXPECT_TRUE(one_line(wrong.err)) << wrong.err;
  EXPECT_NE(wrong.err.find("certificate verify failed"), std::string::npos) << wrong.err;

  // The test's CA: the schema is created (the server takes TCP connections only with TLS).
  auto ok = run_ypa({"init", "--source-schema"}, with({"PGSSLROOTCERT=" + path("ca.pem")}));
  ASSERT_EQ(ok.exit_code, 0) << ok.err;
  auto tables = run_command({"psql", "-XAtq", "-h", path("postgres"), "-p", std::to_string(pg_port_), "-U", "ypa",
                             "-d", "postgres", "-c",
                             "SELECT count(*) FROM information_schema.tables WHERE table_schema = 'public'"},
                            {"PGSSLMODE=disable"});
  ASSERT_EQ(tables.exit_code, 0) << tables.err;
  EXPECT_GT(std::stoi(tables.out), 0);
  auto plain = run_command({"psql", "-XAtq", "-h", "127.0.0.1", "-p", std::to_string(pg_port_), "-U", "ypa", "-d",
                            "postgres", "-c", "SELECT 1"},
                           {"PGSSLMODE=disable"});
  EXPECT_NE(plain.exit_code, 0) << "the server must refuse TCP without TLS";
}

}  // namespace
}  // namespace ypa::testing
