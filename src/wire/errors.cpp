// Re-throwing wire errors with more context while keeping their type (callers catch by type).
#include "wire/errors.hpp"

#include <string>

namespace ypa::wire {

void rethrow_with_context(std::string_view prefix, std::string_view suffix) {
  auto text = [&](const std::exception& e) {
    std::string out(prefix);
    out += e.what();
    out += suffix;
    return out;
  };
  try {
    throw;
  } catch (const TimeoutError& e) {
    throw TimeoutError(text(e));
  } catch (const ClosedError& e) {
    throw ClosedError(text(e));
  } catch (const ProtocolError& e) {
    throw ProtocolError(text(e));
  } catch (const ConnectError& e) {
    throw ConnectError(text(e));
  } catch (const IoError& e) {
    throw IoError(text(e));
  }
}

}  // namespace ypa::wire
