// Native-protocol constants as typed values: packet codes, the revision we advertise and the
// revisions that gate optional fields (docs/protocol.md explains each one).
#pragma once

#include <cstdint>
#include <string_view>

namespace ypa::clickhouse {

using Revision = std::uint64_t;

namespace revision {
// What we advertise: understood by 18.16 (which answers 54412) and 24.x alike; staying at or below
// 54460 keeps away password rules, nonces, sparse columns and chunked framing (docs/protocol.md).
inline constexpr Revision kAdvertised = 54459;

inline constexpr Revision kTemporaryTables = 50264;            // Data packets start with a table name
inline constexpr Revision kTotalRowsInProgress = 51554;        // Progress.total_rows
inline constexpr Revision kBlockInfo = 51903;                  // blocks start with BlockInfo
inline constexpr Revision kClientInfo = 54032;                 // Query carries ClientInfo
inline constexpr Revision kServerTimezone = 54058;             // server Hello: timezone
inline constexpr Revision kQuotaKeyInClientInfo = 54060;       // ClientInfo.quota_key
inline constexpr Revision kServerDisplayName = 54372;          // server Hello: display name
inline constexpr Revision kVersionPatch = 54401;               // Hello and ClientInfo: patch version
inline constexpr Revision kServerLogs = 54406;                 // Log packets
inline constexpr Revision kColumnDefaultsMetadata = 54410;     // TableColumns packets
inline constexpr Revision kClientWriteInfo = 54420;            // Progress.written_rows/bytes
inline constexpr Revision kSettingsAsStrings = 54429;          // settings as (name, flags, string)
inline constexpr Revision kInterserverSecret = 54441;          // Query: interserver secret string
inline constexpr Revision kOpenTelemetry = 54442;              // ClientInfo: trace context flag
inline constexpr Revision kDistributedDepth = 54448;           // ClientInfo.distributed_depth
inline constexpr Revision kInitialQueryStartTime = 54449;      // ClientInfo: initial query start time
inline constexpr Revision kIncrementalProfileEvents = 54451;   // ProfileEvents packets
inline constexpr Revision kParallelReplicas = 54453;           // ClientInfo: three parallel-replica varints
inline constexpr Revision kCustomSerialization = 54454;        // one byte per column after its type
inline constexpr Revision kProfileEventsInInsert = 54456;      // ProfileEvents after each inserted block
inline constexpr Revision kAddendum = 54458;                   // client sends quota key after Hello
inline constexpr Revision kParameters = 54459;                 // Query: parameters after the text
inline constexpr Revision kServerQueryTimeInProgress = 54460;  // Progress.elapsed_ns
}  // namespace revision

inline constexpr std::string_view kClientName = "ypa-engine";
inline constexpr std::uint64_t kClientVersionMajor = 0;
inline constexpr std::uint64_t kClientVersionMinor = 1;
inline constexpr std::uint64_t kClientVersionPatch = 0;

enum class ClientPacket : std::uint64_t {
  kHello = 0,
  kQuery = 1,
  kData = 2,
  kCancel = 3,
  kPing = 4,
};

enum class ServerPacket : std::uint64_t {
  kHello = 0,
  kData = 1,
  kException = 2,
  kProgress = 3,
  kPong = 4,
  kEndOfStream = 5,
  kProfileInfo = 6,
  kTotals = 7,
  kExtremes = 8,
  kTablesStatusResponse = 9,
  kLog = 10,
  kTableColumns = 11,
  kPartUuids = 12,
  kReadTaskRequest = 13,
  kProfileEvents = 14,
};

// "Data", "Exception", ... or "unknown" for messages.
std::string_view packet_name(ServerPacket packet);

enum class QueryStage : std::uint64_t { kComplete = 2 };
enum class QueryKind : std::uint8_t { kInitial = 1 };
enum class Interface : std::uint8_t { kTcp = 1 };

// Compression frame methods (first header byte).
enum class CompressionMethod : std::uint8_t { kNone = 0x02, kLz4 = 0x82, kZstd = 0x90 };

}  // namespace ypa::clickhouse
