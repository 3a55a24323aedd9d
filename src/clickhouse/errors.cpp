#include "clickhouse/errors.hpp"

#include <algorithm>
#include <array>

namespace ypa::clickhouse {
namespace {

// ClickHouse's numeric error codes (dbms/src/Common/ErrorCodes.cpp; the numbers are stable across
// releases, 18.16 included) for conditions that pass: load, limits of the moment, the network, the
// cluster's coordination. Sorted, for binary search.
constexpr std::array<std::int32_t, 31> kTransient = {
    95,   // CANNOT_READ_FROM_SOCKET
    96,   // CANNOT_WRITE_TO_SOCKET
    159,  // TIMEOUT_EXCEEDED
    160,  // TOO_SLOW (estimated execution time past max_execution_time)
    173,  // CANNOT_ALLOCATE_MEMORY
    198,  // DNS_ERROR
    201,  // QUOTA_EXPIRED
    202,  // TOO_MANY_SIMULTANEOUS_QUERIES
    203,  // NO_FREE_CONNECTION
    209,  // SOCKET_TIMEOUT
    210,  // NETWORK_ERROR
    225,  // NO_ZOOKEEPER
    236,  // ABORTED
    241,  // MEMORY_LIMIT_EXCEEDED
    242,  // TABLE_IS_READ_ONLY (a replica that lost ZooKeeper)
    243,  // NOT_ENOUGH_SPACE
    252,  // TOO_MANY_PARTS
    254,  // NO_ACTIVE_REPLICAS
    265,  // NO_AVAILABLE_REPLICA
    279,  // ALL_CONNECTION_TRIES_FAILED
    285,  // TOO_LESS_LIVE_REPLICAS
    286,  // UNSATISFIED_QUORUM_FOR_PREVIOUS_WRITE
    319,  // UNKNOWN_STATUS_OF_INSERT
    364,  // RECEIVED_ERROR_TOO_MANY_REQUESTS
    369,  // ALL_REPLICAS_ARE_STALE
    373,  // SESSION_IS_LOCKED
    384,  // PART_IS_TEMPORARILY_LOCKED
    394,  // QUERY_WAS_CANCELLED
    410,  // EXTERNAL_SERVER_IS_NOT_RESPONDING
    415,  // ALL_REPLICAS_LOST
    999,  // KEEPER_EXCEPTION (ZooKeeper session expired or connection loss)
};
static_assert(std::is_sorted(kTransient.begin(), kTransient.end()));

}  // namespace

bool is_transient(std::int32_t code) {
  return std::binary_search(kTransient.begin(), kTransient.end(), code);
}

}  // namespace ypa::clickhouse
