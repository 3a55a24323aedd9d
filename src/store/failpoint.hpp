// Test-only fail points: YPA_FAILPOINT=<name>:<n> makes the process _exit(137) (as if SIGKILLed)
// the n-th time it passes the named point, so tests can crash a promote at a chosen step and check
// that a rerun repairs it. Unset (production), a fail point costs one comparison.
#pragma once

#include <string_view>

namespace ypa::store {

void failpoint(std::string_view name);

}  // namespace ypa::store
