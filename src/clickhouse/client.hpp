// The ClickHouse native-protocol client: one TCP connection, its packet state machine, and the
// operations the project needs (statements, streamed SELECTs, checked INSERTs, ping).
//
//   ypa::clickhouse::Client ch(ypa::clickhouse::ClientOptions::from_settings(settings));
//   ch.execute("CREATE TABLE t (x UInt32) ENGINE = Memory");
//   ypa::clickhouse::Block b;
//   b.add<ypa::clickhouse::ColumnUInt32>("x").append(7);
//   ch.insert("t", b);
//   ch.select("SELECT x FROM t", [](const ypa::clickhouse::Block& block) { ... });
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "clickhouse/block.hpp"
#include "clickhouse/columns/array.hpp"
#include "clickhouse/columns/date.hpp"
#include "clickhouse/columns/enum.hpp"
#include "clickhouse/columns/low_cardinality.hpp"
#include "clickhouse/columns/nullable.hpp"
#include "clickhouse/columns/numeric.hpp"
#include "clickhouse/columns/string.hpp"
#include "clickhouse/errors.hpp"
#include "clickhouse/packets.hpp"
#include "core/settings.hpp"
#include "wire/transport.hpp"

namespace ypa::clickhouse {

struct ClientOptions {
  std::string host = "localhost";
  std::uint16_t port = 9000;
  std::string database = "default";
  std::string user = "default";
  std::string password;
  // LZ4 for Data packets in both directions.
  bool compression = true;
  std::chrono::milliseconds connect_timeout{5000};
  // Longest wait for any progress on a read or write before the operation fails.
  std::chrono::milliseconds io_timeout{300000};
  // Run after every (re)connect, e.g. "SET allow_experimental_low_cardinality_type = 1", so that
  // session state survives the reconnect that follows a failed INSERT.
  std::vector<std::string> session_statements;
  // How connections are opened; tests substitute scripted or failing transports.
  wire::TransportFactory transport_factory = wire::connect_tcp;
  // The factory speaks TLS (set with it; only used to word errors).
  bool secure = false;

  // Copies host, port, database, user and password and resolves the compression; with `secure`, the
  // transport is TLS (wire::tls_factory with verify and the CA file); with a cluster, adds the session
  // settings that make INSERTs through Distributed tables synchronous and not deduplicated.
  static ClientOptions from_settings(const ypa::ClickHouseSettings& settings);
};

// One row of select_rows(): each cell as text, nullopt for NULL.
using TextRow = std::vector<std::optional<std::string>>;

class Client;

// An INSERT in progress: the server's sample block is known, data blocks stream one by one.
// Destroying it without finish() abandons the INSERT and drops the connection (the server would
// otherwise keep waiting for data); the next call on the Client reconnects.
class Inserter {
 public:
  Inserter(const Inserter&) = delete;
  Inserter& operator=(const Inserter&) = delete;
  Inserter(Inserter&& other) noexcept;
  Inserter& operator=(Inserter&&) = delete;
  ~Inserter();

  // Names and types the server expects (no rows).
  const Block& sample() const { return sample_; }
  // An empty block with the sample's columns, ready to be filled.
  Block make_block() const { return sample_.clone_empty(); }
  // Checks the block against the sample (UsageError before sending anything if a column is missing,
  // extra, or of another type) and sends it. Columns may come in any order.
  void write(const Block& block);
  // Ends the INSERT and waits for the server to confirm it; returns the rows written by this Inserter.
  std::uint64_t finish();

 private:
  friend class Client;
  Inserter(Client& client, Block sample) : client_(&client), sample_(std::move(sample)) {}

  Client* client_;
  Block sample_;
  std::uint64_t rows_ = 0;
};

class Client {
 public:
  // Connects at once; throws ConnectError / TimeoutError / ServerError (bad credentials, database).
  explicit Client(ClientOptions options);
  Client(const Client&) = delete;
  Client& operator=(const Client&) = delete;
  ~Client();

  // Runs a statement and discards any result rows.
  void execute(std::string_view sql, const QueryOptions& options = {});
  // Streams the result to on_block, one non-empty block at a time (memory stays bounded by a block).
  // An exception from on_block drops the connection and propagates.
  void select(std::string_view sql, const std::function<void(const Block&)>& on_block,
              const QueryOptions& options = {});
  // Like select(), but on_block returns false to stop early: the query is cancelled and the rest
  // of the stream drained. Returns false when it stopped early.
  bool select_while(std::string_view sql, const std::function<bool(const Block&)>& on_block,
                    const QueryOptions& options = {});
  // Every cell as text (see Column::append_text: numbers in decimal, Date YYYY-MM-DD, DateTime as Unix
  // seconds, NULL as nullopt). For metadata and small results only.
  std::vector<TextRow> select_rows(std::string_view sql, const QueryOptions& options = {});
  // The first cell of the first row (nullopt for NULL); UsageError when the result is empty.
  std::optional<std::string> select_value(std::string_view sql, const QueryOptions& options = {});

  // `target` is "db.table" (the block's column names are listed for it) or "db.table (c1, c2)".
  void insert(std::string_view target, const Block& block);
  // Starts an INSERT for many blocks; see Inserter. Only one operation runs at a time per Client.
  Inserter begin_insert(std::string_view target, const std::vector<std::string>& columns = {});

  // Round trip to the server; throws if it does not answer within the io timeout.
  void ping();
  // Closes the connection (if any) and opens a new one.
  void reconnect();
  bool connected() const;

  const ServerInfo& server_info() const { return server_; }
  const ClientOptions& options() const { return options_; }
  // Progress totals of the last query (rows read, rows written).
  const Progress& last_progress() const { return progress_; }

 private:
  friend class Inserter;
  class Connection;

  void connect();
  void disconnect() noexcept;
  void ensure_ready();
  // insert_table: the target of an INSERT ... VALUES (for the statement log).
  void send_query(std::string_view sql, const QueryOptions& options, std::string_view insert_table = {});
  void send_empty_data();
  void flush();
  // Reads the next packet, folding Progress/ProfileInfo/Log/ProfileEvents/TableColumns into state and
  // returning only Data, Totals, Extremes, Pong and EndOfStream. An Exception throws ServerError.
  ServerMessage next_packet(std::string_view doing);
  // Folds a Progress/ProfileInfo/Log/TableColumns packet into state (true), throws ServerError for an
  // Exception, and returns false for anything else.
  bool absorb(const ServerMessage& m);
  [[noreturn]] void rethrow_io(std::string_view doing);
  // After a server Exception: drains what the failed query left on the wire, or drops the connection.
  void resync_after_error() noexcept;
  std::string where() const;

  void insert_block(Inserter& inserter, const Block& block);
  std::uint64_t finish_insert(Inserter& inserter);
  void abandon_insert() noexcept;

  ClientOptions options_;
  std::unique_ptr<Connection> connection_;
  ServerInfo server_;
  Progress progress_;
  bool busy_ = false;  // an Inserter is open
  std::string current_query_;
  std::uint64_t log_n_ = 0;  // the statement log's number of the current statement (0: log off)
};

// `name` quoted as a ClickHouse identifier with backticks: ` and \ escaped, control bytes as \xNN
// (ClickHouse 18.16 and later read the same escapes in backquoted names as in string literals). An
// empty name is not a valid identifier; store::identifier() refuses it.
std::string quote_identifier(std::string_view name);

}  // namespace ypa::clickhouse
