// Slow paths of Input: reads that span refills, varints and strings with their limits.
#include "wire/input.hpp"

#include <fmt/format.h>

#include "wire/errors.hpp"

namespace ypa::wire {

bool Input::refill_for(std::string_view what) {
  try {
    return refill();
  } catch (const IoError&) {
    rethrow_with_context("", fmt::format(" while reading {}", what));
  }
}

void Input::read_slow(std::byte* dst, std::size_t n, std::string_view what) {
  const std::size_t wanted = n;
  while (n > 0) {
    if (pos_ == end_ && !refill_for(what)) {
      throw ClosedError(
          fmt::format("input ended while reading {} ({} of {} bytes)", what, wanted - n, wanted));
    }
    const std::size_t have = static_cast<std::size_t>(end_ - pos_);
    const std::size_t step = have < n ? have : n;
    std::memcpy(dst, pos_, step);
    pos_ += step;
    dst += step;
    n -= step;
  }
}

std::uint64_t Input::read_varint(std::string_view what) {
  std::uint64_t value = 0;
  for (int i = 0; i < 10; ++i) {
    const std::uint8_t byte = read_u8(what);
    value |= std::uint64_t{byte & 0x7fu} << (7 * i);
    if ((byte & 0x80u) == 0) return value;
  }
  throw ProtocolError(fmt::format("varint longer than 10 bytes in {}", what));
}

void Input::read_string_into(std::string& out, std::string_view what, std::size_t max_length) {
  const std::uint64_t length = read_varint(what);
  if (length > max_length) {
    throw ProtocolError(fmt::format("{} has length {}, above the limit of {}", what, length, max_length));
  }
  out.clear();
  std::size_t left = static_cast<std::size_t>(length);
  // Fast path: the whole string is already buffered.
  if (buffered() >= left) {
    out.assign(reinterpret_cast<const char*>(pos_), left);
    pos_ += left;
    return;
  }
  while (left > 0) {
    const std::size_t step = left < kReadChunk ? left : kReadChunk;
    const std::size_t old = out.size();
    out.resize(old + step);
    read(out.data() + old, step, what);
    left -= step;
  }
}

std::string Input::read_string(std::string_view what, std::size_t max_length) {
  std::string out;
  read_string_into(out, what, max_length);
  return out;
}

void Input::skip_string(std::string_view what, std::size_t max_length) {
  const std::uint64_t length = read_varint(what);
  if (length > max_length) {
    throw ProtocolError(fmt::format("{} has length {}, above the limit of {}", what, length, max_length));
  }
  skip(static_cast<std::size_t>(length), what);
}

void Input::skip(std::size_t n, std::string_view what) {
  const std::size_t wanted = n;
  while (n > 0) {
    if (pos_ == end_ && !refill_for(what)) {
      throw ClosedError(
          fmt::format("input ended while reading {} ({} of {} bytes)", what, wanted - n, wanted));
    }
    const std::size_t have = static_cast<std::size_t>(end_ - pos_);
    const std::size_t step = have < n ? have : n;
    pos_ += step;
    n -= step;
  }
}

MemoryInput::MemoryInput(std::span<const std::byte> bytes) {
  set_window(bytes.data(), bytes.data() + bytes.size());
}

MemoryInput::MemoryInput(std::string_view bytes)
    : MemoryInput(
          std::span<const std::byte>(reinterpret_cast<const std::byte*>(bytes.data()), bytes.size())) {}

}  // namespace ypa::wire
