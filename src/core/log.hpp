// Logging setup: one line per event on stderr, so stdout stays free for a command's result.
#pragma once

namespace ypa::log {

// verbose: debug level; otherwise info.
void init(bool verbose);

}  // namespace ypa::log
