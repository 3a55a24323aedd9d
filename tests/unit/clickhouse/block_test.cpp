// Block and column codecs with in-memory streams: exact bytes of a small block, round trips of every
// column type at the revisions we meet (18.16's 54412 and our advertised 54459), type-name parsing,
// LowCardinality decoding and LZ4 framing.
#include "clickhouse/block.hpp"

#include <gtest/gtest.h>

#include <cstring>

#include "clickhouse/cityhash.hpp"
#include "clickhouse/client.hpp"
#include "clickhouse/compression.hpp"

namespace ypa::clickhouse {
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

std::string cell(const Block& b, std::size_t c, std::size_t r) {
  if (b.column(c).is_null(r)) return "NULL";
  std::string s;
  b.column(c).append_text(r, s);
  return s;
}

TEST(BlockCodec, ExactBytesOfASmallBlock) {
  Block b;
  b.add<ColumnUInt8>("a").append(7);
  auto n = std::make_shared<ColumnNullable>(std::make_shared<ColumnString>());
  n->append<ColumnString>(std::optional<std::string>("hi"));
  b.add("s", n);
  wire::Buffer out;
  write_block(b, out, 54412);
  EXPECT_EQ(hex(out.view()),
            "0100"        // BlockInfo field 1: is_overflows = 0
            "02ffffffff"  // field 2: bucket_num = -1
            "00"          // end of BlockInfo
            "0201"        // 2 columns, 1 row
            "0161"
            "0555496e7438"
            "07"  // "a", "UInt8", value 7
            "0173"
            "104e756c6c61626c6528537472696e6729"
            "00"
            "026869");  // "s", "Nullable(String)", not null, "hi"
  // From 54454 each column carries a serialization-kind byte after its type.
  wire::Buffer newer;
  write_block(b, newer, 54459);
  EXPECT_EQ(newer.size(), out.size() + 2);
}

Block every_type() {
  Block b;
  b.add<ColumnUInt8>("u8").append(255);
  b.add<ColumnUInt16>("u16").append(65535);
  b.add<ColumnUInt32>("u32").append(4294967295u);
  b.add<ColumnUInt64>("u64").append(18446744073709551615ull);
  b.add<ColumnInt32>("i32").append(-2147483647 - 1);
  b.add<ColumnInt64>("i64").append(-9223372036854775807ll - 1);
  b.add<ColumnFloat64>("f64").append(-0.5);
  b.add<ColumnString>("s").append("ブラック");
  b.add<ColumnDate>("d").append(20028);
  b.add("tk", std::make_shared<ColumnDateTime>("Asia/Tokyo"));
  b.column(9).as<ColumnDateTime>().append(1730386800);
  auto n = std::make_shared<ColumnNullable>(std::make_shared<ColumnUInt32>());
  n->append<ColumnUInt32>(std::optional<std::uint32_t>{});
  b.add("n", n);
  auto arr = std::make_shared<ColumnArray>(std::make_shared<ColumnString>());
  arr->nested().as<ColumnString>().append("x");
  arr->nested().as<ColumnString>().append("");
  arr->finish_row();
  b.add("arr", arr);
  b.add("fs", std::make_shared<ColumnFixedString>(3));
  b.column(12).as<ColumnFixedString>().append("ab");
  return b;
}

TEST(BlockCodec, RoundTripsEveryTypeAtBothRevisions) {
  for (const Revision r : {Revision{54412}, Revision{54459}}) {
    const Block sent = every_type();
    wire::Buffer out;
    write_block(sent, out, r);
    wire::MemoryInput in(out.view());
    const Block got = read_block(in, r);
    EXPECT_TRUE(in.at_end());
    ASSERT_EQ(got.column_count(), sent.column_count());
    for (std::size_t c = 0; c < sent.column_count(); ++c) {
      EXPECT_EQ(got.name(c), sent.name(c));
      EXPECT_EQ(got.column(c).type_name(), sent.column(c).type_name());
      EXPECT_EQ(cell(got, c, 0), cell(sent, c, 0)) << sent.name(c);
    }
  }
  const Block b = every_type();
  EXPECT_EQ(cell(b, 8, 0), "2024-11-01");
  EXPECT_EQ(cell(b, 9, 0), "1730386800");
  EXPECT_EQ(cell(b, 10, 0), "NULL");
  EXPECT_EQ(cell(b, 11, 0), "[x,]");
}

TEST(BlockCodec, EmptyBlockHasNoColumnData) {
  Block b;
  b.add<ColumnUInt64>("x");
  wire::Buffer out;
  write_block(b, out, 54412);
  wire::MemoryInput in(out.view());
  const Block got = read_block(in, 54412);
  EXPECT_EQ(got.row_count(), 0u);
  EXPECT_EQ(got.column(0).type_name(), "UInt64");
}

TEST(BlockCodec, UnequalColumnsAreAUsageError) {
  Block b;
  b.add<ColumnUInt8>("a").append(1);
  b.add<ColumnUInt8>("b");
  wire::Buffer out;
  EXPECT_THROW(write_block(b, out, 54412), UsageError);
}

TEST(BlockCodec, HugeRowClaimFailsOnTruncationNotAllocation) {
  wire::Buffer out;
  out.write_varint(0);            // no BlockInfo fields
  out.write_varint(1);            // one column
  out.write_varint(4000000000u);  // four billion rows claimed
  out.write_string("x");
  out.write_string("UInt64");
  out.write_fixed<std::uint64_t>(1);
  wire::MemoryInput in(out.view());
  EXPECT_THROW(read_block(in, 54412), wire::ClosedError);
}

TEST(ColumnTypes, ParsesServerSpellings) {
  const std::pair<const char*, const char*> cases[] = {
      {"DateTime('Asia/Tokyo')", "DateTime('Asia/Tokyo')"},
      {"Nullable(DateTime('Asia/Tokyo'))", "Nullable(DateTime('Asia/Tokyo'))"},
      {"LowCardinality(Nullable(String))", "LowCardinality(Nullable(String))"},
      {"Array(Nullable(Float64))", "Array(Nullable(Float64))"},
      {"Enum8('a' = 1, 'b,c' = -2)", "Enum8('a' = 1, 'b,c' = -2)"},
      {"FixedString(16)", "FixedString(16)"},
      {"Nullable(Nothing)", "Nullable(Nothing)"},
  };
  for (const auto& [in, want] : cases) EXPECT_EQ(create_column(in)->type_name(), want);
  for (const char* bad :
       {"Decimal(9, 2)", "Nullable(Nullable(UInt8))", "FixedString(0)", "Array(", "UInt128",
        "Enum8('a' = 300)", "Array(Array(Array(Array(Array(Array(Array(Array(Array(UInt8)))))))))"}) {
    EXPECT_THROW(create_column(bad), UsageError) << bad;
  }
}

TEST(ColumnTypes, EnumTextIsItsName) {
  auto c = create_column("Enum8('a' = 1, 'b' = -2)");
  wire::Buffer data;
  data.write_fixed<std::int8_t>(-2);
  data.write_fixed<std::int8_t>(1);
  wire::MemoryInput in(data.view());
  c->read_data(in, 2);
  std::string s;
  c->append_text(0, s);
  c->append_text(1, s);
  EXPECT_EQ(s, "ba");
}

TEST(LowCardinality, DecodesNullableDictionaryAndIndexes) {
  auto c = create_column("LowCardinality(Nullable(String))");
  wire::Buffer data;
  data.write_fixed<std::uint64_t>(1);              // key version
  data.write_fixed<std::uint64_t>((1u << 9) | 0);  // has additional keys, UInt8 indexes
  data.write_fixed<std::uint64_t>(3);              // keys: NULL placeholder, "x", "y"
  data.write_string("");
  data.write_string("x");
  data.write_string("y");
  data.write_fixed<std::uint64_t>(4);  // rows
  for (const int i : {1, 0, 2, 1}) data.write_u8(static_cast<std::uint8_t>(i));
  wire::MemoryInput in(data.view());
  c->read_prefix(in);
  c->read_data(in, 4);
  EXPECT_TRUE(in.at_end());
  ASSERT_EQ(c->size(), 4u);
  EXPECT_FALSE(c->is_null(0));
  EXPECT_TRUE(c->is_null(1));
  std::string s;
  c->append_text(0, s);
  c->append_text(2, s);
  c->append_text(3, s);
  EXPECT_EQ(s, "xyx");
}

TEST(LowCardinality, IndexBeyondDictionaryIsAProtocolError) {
  auto c = create_column("LowCardinality(String)");
  wire::Buffer data;
  data.write_fixed<std::uint64_t>(1);
  data.write_fixed<std::uint64_t>(1u << 9);
  data.write_fixed<std::uint64_t>(1);
  data.write_string("x");
  data.write_fixed<std::uint64_t>(1);
  data.write_u8(5);
  wire::MemoryInput in(data.view());
  c->read_prefix(in);
  EXPECT_THROW(c->read_data(in, 1), ProtocolError);
}

TEST(Compression, Lz4FramesRoundTripAcrossFrameBoundaries) {
  std::string payload;
  for (int i = 0; i < 3 * (1 << 20) + 123; ++i) payload += static_cast<char>('a' + (i * 7 % 13));
  wire::Buffer framed;
  compress_lz4(std::span(reinterpret_cast<const std::byte*>(payload.data()), payload.size()), framed);
  wire::MemoryInput source(framed.view());
  DecompressingInput plain(source);
  std::string got(payload.size(), '\0');
  plain.read(got.data(), got.size(), "payload");
  EXPECT_EQ(got, payload);
  EXPECT_TRUE(source.at_end());
}

TEST(Compression, ChecksumMismatchIsDetected) {
  const std::string payload = "some bytes worth compressing, some bytes worth compressing";
  wire::Buffer framed;
  compress_lz4(std::span(reinterpret_cast<const std::byte*>(payload.data()), payload.size()), framed);
  std::string bytes(framed.view());
  bytes[bytes.size() - 1] ^= 1;
  wire::MemoryInput source(bytes);
  DecompressingInput plain(source);
  char c;
  EXPECT_THROW(plain.read(&c, 1, "x"), ProtocolError);
}

TEST(Compression, AbsurdDecompressedSizeIsRefusedBeforeAllocating) {
  wire::Buffer frame;
  std::byte header[9] = {std::byte{0x82}};
  const std::uint32_t size = 9 + 4;
  const std::uint32_t plain = 1u << 29;
  std::memcpy(header + 1, &size, 4);
  std::memcpy(header + 5, &plain, 4);
  const Hash128 sum = city_hash128_v102(header, 9);  // wrong on purpose: size check comes first
  frame.write_fixed(sum.low);
  frame.write_fixed(sum.high);
  frame.write(header, 9);
  frame.write("abcd", 4);
  wire::MemoryInput source(frame.view());
  DecompressingInput in(source);
  char c;
  EXPECT_THROW(in.read(&c, 1, "x"), ProtocolError);
}

}  // namespace
}  // namespace ypa::clickhouse
