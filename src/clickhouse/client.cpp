// The packet state machine: handshake, query/result loops, the INSERT protocol with its sample-block
// check, and the rule that any I/O failure or abandoned INSERT drops the connection.
#include "clickhouse/client.hpp"

#include <fmt/format.h>

#include "clickhouse/compression.hpp"
#include "clickhouse/statement_log.hpp"
#include "wire/tls.hpp"

namespace ypa::clickhouse {

// The live connection: transport, buffered input and reusable output buffers.
class Client::Connection {
 public:
  explicit Connection(std::unique_ptr<wire::Transport> t) : transport(std::move(t)), input(*transport) {}

  std::unique_ptr<wire::Transport> transport;
  wire::TransportInput input;
  wire::Buffer out;
  wire::Buffer scratch;
};

namespace {

constexpr std::int32_t kQueryWasCancelled = 394;

// DateTime('zone') -> DateTime, everywhere in a type name. The zone only changes how the server
// prints and partitions the same Unix seconds, and the server accepts either for the other.
std::string without_zones(std::string_view type) {
  std::string out;
  constexpr std::string_view kDateTime = "DateTime(";
  std::size_t i = 0;
  while (i < type.size()) {
    if (type.substr(i, kDateTime.size()) == kDateTime && i + kDateTime.size() < type.size() &&
        type[i + kDateTime.size()] == '\'') {
      const std::size_t close = type.find("')", i + kDateTime.size() + 1);
      if (close != std::string_view::npos) {
        out += "DateTime";
        i = close + 2;
        continue;
      }
    }
    out += type[i++];
  }
  return out;
}

std::string shorten(std::string_view sql) {
  constexpr std::size_t kMax = 160;
  std::string s(sql.substr(0, kMax));
  for (char& c : s) {
    if (c == '\n' || c == '\t') c = ' ';
  }
  if (sql.size() > kMax) s += "...";
  return s;
}

}  // namespace

std::string quote_identifier(std::string_view name) {
  // The server reads backquoted names with the escapes of string literals; control bytes go as \xNN
  // so that no NUL, newline or other control byte ever reaches the statement raw.
  std::string out = "`";
  for (const char c : name) {
    if (c == '`' || c == '\\') {
      out += '\\';
      out += c;
    } else if (static_cast<unsigned char>(c) < 0x20 || c == 0x7f) {
      out += fmt::format("\\x{:02x}", static_cast<unsigned char>(c));
    } else {
      out += c;
    }
  }
  out += '`';
  return out;
}

ClientOptions ClientOptions::from_settings(const ypa::ClickHouseSettings& settings) {
  ClientOptions o;
  o.host = settings.host;
  o.port = settings.port;
  o.database = settings.database;
  o.user = settings.user;
  o.password = settings.password;
  o.compression = settings.compression == "on" || (settings.compression == "auto" && !wire::is_loopback(o.host));
  if (settings.secure) {
    try {
      o.transport_factory = wire::tls_factory({settings.verify, settings.ca_certs});
    } catch (const InputError& e) {
      throw InputError(fmt::format("CLICKHOUSE_CA_CERTS={}", e.what()));
    }
    o.secure = true;
  }
  if (!settings.cluster.empty()) {
    // Through a Distributed table an INSERT must reach the shards before it returns (18.16 queues it
    // by default), and a re-sent identical block (a promote rerun within one second) must not be
    // dropped as a duplicate by the replicated tables.
    o.session_statements = {"SET insert_distributed_sync = 1", "SET insert_deduplicate = 0"};
  }
  return o;
}

Client::Client(ClientOptions options) : options_(std::move(options)) {
  connect();
}

Client::~Client() {
  disconnect();
}

std::string Client::where() const {
  return wire::Endpoint{options_.host, options_.port}.describe();
}

bool Client::connected() const {
  return connection_ != nullptr;
}

void Client::disconnect() noexcept {
  connection_.reset();
}

void Client::rethrow_io(std::string_view doing) {
  disconnect();
  try {
    throw;
  } catch (const wire::IoError& e) {
    const std::string endpoint = where();
    const bool named = std::string_view(e.what()).find(endpoint) != std::string_view::npos;
    wire::rethrow_with_context(named ? "ClickHouse: " : "ClickHouse " + endpoint + ": ",
                               fmt::format(" ({})", doing));
  } catch (const UsageError& e) {
    // A type this client cannot decode arrived mid-stream; the rest of the packet is unreadable.
    throw UsageError(fmt::format("ClickHouse {}: {} ({}); connection dropped", where(), e.what(), doing));
  }
}

void Client::connect() {
  statement_log::enabled();  // a bad YPA_SQL_LOG* setting fails here, before the server is touched
  disconnect();
  const wire::Endpoint endpoint{options_.host, options_.port};
  try {
    auto c = std::make_unique<Connection>(
        options_.transport_factory(endpoint, wire::Timeouts{options_.connect_timeout, options_.io_timeout}));
    write_client_hello(c->out, {options_.database, options_.user, options_.password});
    c->transport->write_all(c->out.bytes());
    c->out.clear();
    server_ = read_server_hello(c->input, revision::kAdvertised);
    write_addendum(c->out, server_.negotiated_revision);
    if (!c->out.empty()) {
      c->transport->write_all(c->out.bytes());
      c->out.clear();
    }
    connection_ = std::move(c);
  } catch (const ServerError& e) {
    throw ServerError(e.code(), e.name(), e.message(),
                      fmt::format("ClickHouse {} refused the connection: {}", where(), e.what()));
  } catch (const wire::IoError& e) {
    // A TLS server answers a plain Hello by closing the connection (or with a TLS alert, which does not
    // decode as a packet): say so rather than leave "closed the connection" unexplained.
    const bool plain_to_tls = !options_.secure && (dynamic_cast<const wire::ClosedError*>(&e) != nullptr ||
                                                   dynamic_cast<const wire::ProtocolError*>(&e) != nullptr);
    rethrow_io(plain_to_tls ? "during the handshake; if this port is the server's tcp_port_secure, set CLICKHOUSE_SECURE=1"
                            : "during the handshake");
  }
  for (const std::string& statement : options_.session_statements) execute(statement);
}

void Client::reconnect() {
  if (busy_) abandon_insert();
  connect();
}

void Client::ensure_ready() {
  if (busy_) throw UsageError("an INSERT is in progress on this client; finish it before the next query");
  if (!connection_) connect();
}

void Client::flush() {
  connection_->transport->write_all(connection_->out.bytes());
  connection_->out.clear();
}

void Client::send_query(std::string_view sql, const QueryOptions& options, std::string_view insert_table) {
  // Encode first: a UsageError (settings on an old server) must leave nothing half-sent.
  connection_->out.clear();
  write_query(connection_->out, sql, options, server_.negotiated_revision, options_.compression);
  // The (empty) list of external tables always follows the query.
  write_data(connection_->out, Block{}, server_.negotiated_revision, options_.compression,
             connection_->scratch);
  current_query_ = shorten(sql);
  progress_ = {};
  // The one place every statement leaves: record it (YPA_SQL_LOG) before it is sent.
  log_n_ = statement_log::enabled() ? statement_log::record_statement(sql, server_, insert_table) : 0;
  flush();
}

bool Client::absorb(const ServerMessage& m) {
  switch (m.type) {
    case ServerPacket::kException: {
      const ServerException& top = m.exceptions.front();
      if (log_n_ != 0) statement_log::record_error(log_n_, top.code);
      throw ServerError(top.code, top.name, top.message,
                        fmt::format("ClickHouse {}: {} (query: {})", where(),
                                    describe_exceptions(m.exceptions), current_query_));
    }
    case ServerPacket::kProgress:
      progress_.rows += m.progress.rows;
      progress_.bytes += m.progress.bytes;
      progress_.total_rows += m.progress.total_rows;
      progress_.written_rows += m.progress.written_rows;
      progress_.written_bytes += m.progress.written_bytes;
      return true;
    case ServerPacket::kProfileInfo:
    case ServerPacket::kLog:
    case ServerPacket::kTableColumns:
      return true;
    default:
      return false;
  }
}

ServerMessage Client::next_packet(std::string_view doing) {
  while (true) {
    ServerMessage m =
        read_server_packet(connection_->input, server_.negotiated_revision, options_.compression);
    if (absorb(m)) continue;
    (void)doing;
    return m;
  }
}

void Client::resync_after_error() noexcept {
  // A query that fails before the server reads the (empty) external-tables block leaves that block
  // unread; 18.16 then answers it with a second Exception ("Unexpected packet Data"). A Ping and
  // everything up to its Pong flushes such leftovers, so the session (and its SETs) survives.
  constexpr int kMaxLeftovers = 16;
  if (!connection_) return;
  try {
    write_ping(connection_->out);
    flush();
    for (int i = 0; i < kMaxLeftovers; ++i) {
      const ServerMessage m =
          read_server_packet(connection_->input, server_.negotiated_revision, options_.compression);
      if (m.type == ServerPacket::kPong) return;
    }
  } catch (...) {
  }
  disconnect();
}

bool Client::select_while(std::string_view sql, const std::function<bool(const Block&)>& on_block,
                          const QueryOptions& options) {
  ensure_ready();
  bool cancelled = false;
  try {
    send_query(sql, options);
    while (true) {
      ServerMessage m = next_packet("reading the result");
      switch (m.type) {
        case ServerPacket::kData:
          if (!cancelled && m.block.row_count() > 0) {
            if (log_n_ != 0) statement_log::record_block(log_n_, "result", m.block);
            bool more = true;
            try {
              more = on_block(m.block);
            } catch (...) {
              disconnect();  // the rest of the stream is still on its way
              throw;
            }
            if (!more) {
              cancelled = true;
              write_cancel(connection_->out);
              flush();
            }
          }
          continue;
        case ServerPacket::kTotals:
        case ServerPacket::kExtremes:
        case ServerPacket::kProfileEvents:
          continue;
        case ServerPacket::kEndOfStream:
          return !cancelled;
        default:
          throw wire::ProtocolError(
              fmt::format("unexpected {} packet in a query result", packet_name(m.type)));
      }
    }
  } catch (const ServerError& e) {
    resync_after_error();
    if (cancelled && e.code() == kQueryWasCancelled) return false;
    throw;
  } catch (const wire::IoError&) {
    rethrow_io(fmt::format("query: {}", current_query_));
  } catch (const UsageError&) {
    if (!connection_) throw;
    rethrow_io(fmt::format("query: {}", current_query_));
  }
}

void Client::select(std::string_view sql, const std::function<void(const Block&)>& on_block,
                    const QueryOptions& options) {
  select_while(
      sql,
      [&](const Block& block) {
        on_block(block);
        return true;
      },
      options);
}

void Client::execute(std::string_view sql, const QueryOptions& options) {
  select_while(
      sql, [](const Block&) { return true; }, options);
}

std::vector<TextRow> Client::select_rows(std::string_view sql, const QueryOptions& options) {
  std::vector<TextRow> rows;
  select(
      sql,
      [&](const Block& block) {
        for (std::size_t r = 0; r < block.row_count(); ++r) {
          TextRow row(block.column_count());
          for (std::size_t c = 0; c < block.column_count(); ++c) {
            const Column& column = block.column(c);
            if (column.is_null(r)) continue;
            row[c].emplace();
            column.append_text(r, *row[c]);
          }
          rows.push_back(std::move(row));
        }
      },
      options);
  return rows;
}

std::optional<std::string> Client::select_value(std::string_view sql, const QueryOptions& options) {
  auto rows = select_rows(sql, options);
  if (rows.empty() || rows.front().empty()) {
    throw UsageError(fmt::format("query returned no value: {}", shorten(sql)));
  }
  return std::move(rows.front().front());
}

void Client::ping() {
  ensure_ready();
  try {
    write_ping(connection_->out);
    flush();
    while (true) {
      ServerMessage m = next_packet("waiting for Pong");
      if (m.type == ServerPacket::kPong) return;
      if (m.type != ServerPacket::kProfileEvents) {
        throw wire::ProtocolError(fmt::format("expected Pong, got {}", packet_name(m.type)));
      }
    }
  } catch (const wire::IoError&) {
    rethrow_io("ping");
  }
}

// --- INSERT ---------------------------------------------------------------------------------------

Inserter Client::begin_insert(std::string_view target, const std::vector<std::string>& columns) {
  ensure_ready();
  std::string sql = "INSERT INTO ";
  sql += target;
  if (!columns.empty()) {
    sql += " (";
    for (std::size_t i = 0; i < columns.size(); ++i) {
      if (i != 0) sql += ", ";
      sql += quote_identifier(columns[i]);
    }
    sql += ")";
  }
  sql += " VALUES";
  Block sample;
  try {
    send_query(sql, {}, target);
    while (true) {
      ServerMessage m = next_packet("waiting for the INSERT sample block");
      if (m.type == ServerPacket::kData) {
        sample = std::move(m.block);
        break;
      }
      if (m.type != ServerPacket::kProfileEvents) {
        throw wire::ProtocolError(fmt::format("expected the sample block, got {}", packet_name(m.type)));
      }
    }
  } catch (const ServerError&) {
    disconnect();  // an INSERT that failed is not trusted to leave the connection in step
    throw;
  } catch (const wire::IoError&) {
    rethrow_io(fmt::format("starting {}", current_query_));
  } catch (const UsageError&) {
    if (!connection_) throw;
    rethrow_io(fmt::format("starting {}", current_query_));
  }
  busy_ = true;
  return Inserter(*this, std::move(sample));
}

void Client::insert(std::string_view target, const Block& block) {
  std::vector<std::string> columns;
  if (target.find('(') == std::string_view::npos) {
    for (const auto& e : block.entries()) columns.push_back(e.name);
  }
  Inserter inserter = begin_insert(target, columns);
  inserter.write(block);
  inserter.finish();
}

void Client::abandon_insert() noexcept {
  busy_ = false;
  disconnect();
}

void Client::insert_block(Inserter& inserter, const Block& block) {
  if (!busy_ || !connection_) throw UsageError("this INSERT is no longer active");
  const Block& sample = inserter.sample_;
  block.validate();

  // Match by name, in the sample's order, with exactly the sample's types (zones aside); anything
  // else is refused here, because some mismatches crash an 18.16 server.
  Block ordered;
  std::vector<std::string> types;
  std::vector<bool> used(block.column_count(), false);
  for (std::size_t i = 0; i < sample.column_count(); ++i) {
    const std::string& name = sample.name(i);
    const std::ptrdiff_t j = block.find(name);
    if (j < 0) {
      throw UsageError(fmt::format("INSERT {}: block lacks column '{}' ({}); nothing was sent",
                                   current_query_, name, sample.column(i).type_name()));
    }
    const auto k = static_cast<std::size_t>(j);
    used[k] = true;
    const std::string& want = sample.column(i).type_name();
    const std::string& have = block.column(k).type_name();
    if (have != want && without_zones(have) != without_zones(want)) {
      throw UsageError(fmt::format("INSERT {}: column '{}' is {} but the table expects {}; nothing was sent",
                                   current_query_, name, have, want));
    }
    ordered.add(name, block.column_ptr(k));
    types.push_back(want);
  }
  for (std::size_t k = 0; k < block.column_count(); ++k) {
    if (!used[k]) {
      throw UsageError(
          fmt::format("INSERT {}: block has column '{}' that the INSERT does not take; nothing was sent",
                      current_query_, block.name(k)));
    }
  }
  // A block without rows would mean "end of data" to the server.
  if (ordered.row_count() == 0) return;

  try {
    // Anything the server sent meanwhile (an Exception for an earlier block, the Log packets that follow
    // the sample block when send_logs_level is set) is read before writing more: one packet at a time
    // and only while bytes are pending, because the server now waits for our data.
    while (connection_->input.has_pending()) {
      const ServerMessage m =
          read_server_packet(connection_->input, server_.negotiated_revision, options_.compression);
      if (absorb(m)) continue;
      if (m.type != ServerPacket::kProfileEvents) {
        throw wire::ProtocolError(fmt::format("unexpected {} packet during INSERT", packet_name(m.type)));
      }
    }
    if (log_n_ != 0) statement_log::record_block(log_n_, "insert", ordered, &types);
    connection_->out.clear();
    write_data(connection_->out, ordered, server_.negotiated_revision, options_.compression,
               connection_->scratch, &types);
    flush();
    if (server_.negotiated_revision >= revision::kProfileEventsInInsert) {
      // Such servers acknowledge each block with ProfileEvents; not reading them can stall the INSERT.
      while (true) {
        ServerMessage m = next_packet("waiting for the INSERT block acknowledgement");
        if (m.type == ServerPacket::kProfileEvents) break;
        throw wire::ProtocolError(fmt::format("unexpected {} packet during INSERT", packet_name(m.type)));
      }
    }
  } catch (const ServerError&) {
    abandon_insert();
    throw;
  } catch (const wire::IoError&) {
    busy_ = false;
    rethrow_io(fmt::format("sending data for {}", current_query_));
  } catch (const UsageError&) {
    busy_ = false;
    rethrow_io(fmt::format("sending data for {}", current_query_));
  }
  inserter.rows_ += ordered.row_count();
}

std::uint64_t Client::finish_insert(Inserter& inserter) {
  if (!busy_ || !connection_) throw UsageError("this INSERT is no longer active");
  try {
    connection_->out.clear();
    write_data(connection_->out, Block{}, server_.negotiated_revision, options_.compression,
               connection_->scratch);
    flush();
    while (true) {
      ServerMessage m = next_packet("waiting for the INSERT to complete");
      if (m.type == ServerPacket::kEndOfStream) break;
      if (m.type != ServerPacket::kProfileEvents) {
        throw wire::ProtocolError(
            fmt::format("unexpected {} packet at the end of INSERT", packet_name(m.type)));
      }
    }
  } catch (const ServerError&) {
    abandon_insert();
    throw;
  } catch (const wire::IoError&) {
    busy_ = false;
    rethrow_io(fmt::format("finishing {}", current_query_));
  } catch (const UsageError&) {
    busy_ = false;
    rethrow_io(fmt::format("finishing {}", current_query_));
  }
  busy_ = false;
  return inserter.rows_;
}

Inserter::Inserter(Inserter&& other) noexcept
    : client_(other.client_), sample_(std::move(other.sample_)), rows_(other.rows_) {
  other.client_ = nullptr;
}

Inserter::~Inserter() {
  if (client_ != nullptr && client_->busy_) client_->abandon_insert();
}

void Inserter::write(const Block& block) {
  if (client_ == nullptr) throw UsageError("this INSERT has finished");
  client_->insert_block(*this, block);
}

std::uint64_t Inserter::finish() {
  if (client_ == nullptr) throw UsageError("this INSERT has finished");
  Client* client = client_;
  client_ = nullptr;
  return client->finish_insert(*this);
}

}  // namespace ypa::clickhouse
