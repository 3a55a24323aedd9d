// Byte codec without a socket: varints, fixed-width values, strings, their limits and error messages,
// and a transport-backed input that gets its bytes one at a time.
#include <gtest/gtest.h>

#include <deque>

#include "wire/buffer.hpp"
#include "wire/errors.hpp"
#include "wire/input.hpp"
#include "wire/transport.hpp"

namespace ypa::wire {
namespace {

std::string hex(std::string_view bytes) {
  static const char* digits = "0123456789abcdef";
  std::string out;
  for (const char c : bytes) {
    const auto b = static_cast<unsigned char>(c);
    out += digits[b >> 4];
    out += digits[b & 15];
  }
  return out;
}

TEST(Varint, EncodesLeb128) {
  const std::pair<std::uint64_t, std::string> cases[] = {
      {0, "00"},
      {1, "01"},
      {127, "7f"},
      {128, "8001"},
      {300, "ac02"},
      {16384, "808001"},
      {~std::uint64_t{0}, "ffffffffffffffffff01"},
  };
  for (const auto& [value, want] : cases) {
    Buffer b;
    b.write_varint(value);
    EXPECT_EQ(hex(b.view()), want) << value;
    MemoryInput in(b.view());
    EXPECT_EQ(in.read_varint("v"), value);
    EXPECT_TRUE(in.at_end());
  }
}

TEST(Varint, RejectsMoreThanTenBytes) {
  const std::string eleven(11, '\x80');
  MemoryInput in(eleven);
  try {
    in.read_varint("Progress.rows");
    FAIL();
  } catch (const ProtocolError& e) {
    EXPECT_NE(std::string(e.what()).find("Progress.rows"), std::string::npos);
  }
}

TEST(Varint, TruncationNamesTheField) {
  MemoryInput in(std::string_view("\x80\x80", 2));
  try {
    in.read_varint("block row count");
    FAIL();
  } catch (const ClosedError& e) {
    EXPECT_NE(std::string(e.what()).find("block row count"), std::string::npos) << e.what();
  }
}

TEST(Fixed, LittleEndian) {
  Buffer b;
  b.write_fixed<std::uint32_t>(0x01020304);
  b.write_fixed<std::int32_t>(-1);
  b.write_fixed<double>(1.0);
  EXPECT_EQ(hex(b.view()), "04030201ffffffff000000000000f03f");
  MemoryInput in(b.view());
  EXPECT_EQ(in.read_fixed<std::uint32_t>("a"), 0x01020304u);
  EXPECT_EQ(in.read_fixed<std::int32_t>("b"), -1);
  EXPECT_EQ(in.read_fixed<double>("c"), 1.0);
}

TEST(Strings, RoundTripIncludingEmptyAndBinary) {
  Buffer b;
  b.write_string("");
  b.write_string("買取");
  b.write_string(std::string_view("a\0b", 3));
  EXPECT_EQ(hex(b.view().substr(0, 2)), "0006");
  MemoryInput in(b.view());
  EXPECT_EQ(in.read_string("s"), "");
  EXPECT_EQ(in.read_string("s"), "買取");
  EXPECT_EQ(in.read_string("s"), std::string("a\0b", 3));
}

TEST(Strings, LengthAboveTheCapIsAProtocolError) {
  Buffer b;
  b.write_varint(100);
  b.write("x", 1);
  MemoryInput in(b.view());
  EXPECT_THROW(in.read_string("name", 10), ProtocolError);
}

TEST(Strings, HugeClaimedLengthFailsWithoutAllocatingIt) {
  Buffer b;
  b.write_varint(std::uint64_t{1} << 29);  // 512 MiB claimed, 3 bytes present
  b.write("abc", 3);
  MemoryInput in(b.view());
  EXPECT_THROW(in.read_string("String value"), ClosedError);
}

TEST(Arrays, ReadInChunks) {
  std::vector<std::uint16_t> values(70000);
  for (std::size_t i = 0; i < values.size(); ++i) values[i] = static_cast<std::uint16_t>(i);
  Buffer b;
  b.write_array(std::span<const std::uint16_t>(values));
  MemoryInput in(b.view());
  std::vector<std::uint16_t> got;
  in.read_array(got, values.size(), "values");
  EXPECT_EQ(got, values);
  std::vector<std::uint64_t> none;
  MemoryInput short_input(std::string_view("12345678", 8));
  EXPECT_THROW(short_input.read_array(none, std::size_t{1} << 40, "claimed"), ClosedError);
}

// Hands out its bytes one at a time, to cross every refill boundary.
class TrickleTransport final : public Transport {
 public:
  explicit TrickleTransport(std::string bytes) : bytes_(std::move(bytes)) {}
  std::size_t read_some(std::span<std::byte> dst) override {
    if (pos_ == bytes_.size()) throw ClosedError("peer closed");
    dst[0] = static_cast<std::byte>(bytes_[pos_++]);
    return 1;
  }
  void write_all(std::span<const std::byte>) override {}
  bool readable_now() override { return pos_ < bytes_.size(); }
  const Endpoint& endpoint() const override { return endpoint_; }

 private:
  std::string bytes_;
  std::size_t pos_ = 0;
  Endpoint endpoint_{"test", 1};
};

TEST(TransportInput, DecodesAcrossRefills) {
  Buffer b;
  b.write_varint(123456789);
  b.write_string("hello world");
  b.write_fixed<std::uint64_t>(42);
  TrickleTransport t{std::string(b.view())};
  TransportInput in(t, 4);
  EXPECT_EQ(in.read_varint("a"), 123456789u);
  EXPECT_EQ(in.read_string("b"), "hello world");
  EXPECT_EQ(in.read_fixed<std::uint64_t>("c"), 42u);
  try {
    in.read_u8("Data.table_name");
    FAIL();
  } catch (const ClosedError& e) {
    EXPECT_NE(std::string(e.what()).find("Data.table_name"), std::string::npos) << e.what();
  }
}

TEST(Endpoint, Describe) {
  EXPECT_EQ((Endpoint{"127.0.0.1", 9000}).describe(), "127.0.0.1:9000");
  EXPECT_EQ((Endpoint{"::1", 9000}).describe(), "[::1]:9000");
}

}  // namespace
}  // namespace ypa::wire
