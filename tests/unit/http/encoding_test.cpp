// Content-Encoding: which Accept-Encoding values admit gzip (RFC 9110 §12.5.3), and that the gzip
// form decodes, with zlib's inflate in gzip mode, to the very bytes of the answer.
#include "http/encoding.hpp"

#include <gtest/gtest.h>
#include <zlib.h>

#include <future>
#include <random>
#include <vector>

namespace ypa::http {
namespace {

std::string gunzip(const std::string& packed) {
  z_stream z{};
  EXPECT_EQ(inflateInit2(&z, 16 + MAX_WBITS), Z_OK);  // 16+: gzip only, as a browser decodes it
  z.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(packed.data()));
  z.avail_in = static_cast<uInt>(packed.size());
  std::string out;
  char chunk[16384];
  int rc = Z_OK;
  while (rc == Z_OK) {
    z.next_out = reinterpret_cast<Bytef*>(chunk);
    z.avail_out = sizeof chunk;
    rc = inflate(&z, Z_NO_FLUSH);
    out.append(chunk, sizeof chunk - z.avail_out);
  }
  EXPECT_EQ(rc, Z_STREAM_END) << "not one complete gzip member";
  EXPECT_EQ(z.avail_in, 0u) << "bytes after the gzip member";
  inflateEnd(&z);
  return out;
}

// A chart-like JSON answer: repetitive, as the real ones are.
std::string chart(int points) {
  std::string s = R"({"count":)" + std::to_string(points) + R"(,"bucket":[)";
  for (int i = 0; i < points; ++i) s += (i ? ",\"" : "\"") + std::to_string(1743433200 + 900 * i) + "\"";
  return s + "]}";
}

TEST(AcceptsGzipTest, CodingsAndWeights) {
  EXPECT_TRUE(accepts_gzip("gzip"));
  EXPECT_TRUE(accepts_gzip("gzip, deflate, br"));  // browsers
  EXPECT_TRUE(accepts_gzip("br;q=1.0, GZip;q=0.5"));
  EXPECT_TRUE(accepts_gzip("x-gzip"));
  EXPECT_TRUE(accepts_gzip(" deflate ,\tgzip ; q=0.001"));
  EXPECT_TRUE(accepts_gzip("*"));
  EXPECT_TRUE(accepts_gzip("br, *;q=0.1"));
  EXPECT_FALSE(accepts_gzip(""));
  EXPECT_FALSE(accepts_gzip("identity"));
  EXPECT_FALSE(accepts_gzip("br, deflate"));
  EXPECT_FALSE(accepts_gzip("gzip;q=0"));
  EXPECT_FALSE(accepts_gzip("gzip;q=0.000, *"));  // gzip named with weight 0 beats *
  EXPECT_FALSE(accepts_gzip("*;q=0"));
  EXPECT_FALSE(accepts_gzip("gzipped, xgzip"));
  EXPECT_FALSE(accepts_gzip("gzip;q=high"));  // a malformed weight counts for nothing
  EXPECT_FALSE(accepts_gzip("gzip;q=2"));
}

TEST(GzipTest, DecodesToTheSameBytesAtEveryLevel) {
  std::mt19937 rng(7);
  std::string noise(100000, '\0');
  for (auto& c : noise) c = static_cast<char>(rng());
  for (const std::string& data : {std::string(), std::string("x"), chart(2880), noise}) {
    for (int level : {1, 6, 9}) {
      std::string packed = gzip(data, level);
      ASSERT_GE(packed.size(), 18u);  // header and trailer at least
      EXPECT_EQ(static_cast<unsigned char>(packed[0]), 0x1f);
      EXPECT_EQ(static_cast<unsigned char>(packed[1]), 0x8b);
      EXPECT_EQ(gunzip(packed), data) << data.size() << " bytes at level " << level;
    }
  }
  EXPECT_LT(gzip(chart(2880), 6).size() * 4, chart(2880).size());
}

TEST(EncodeBodyTest, OwnAnswerIsGzippedOnlyWhenAcceptedLongEnoughAndSmaller) {
  std::string big = chart(500);
  auto plain = encode_body(nullptr, big, false);
  EXPECT_FALSE(plain.gzipped);
  EXPECT_EQ(*plain.bytes, big);

  auto packed = encode_body(nullptr, big, true);
  EXPECT_TRUE(packed.gzipped);
  EXPECT_EQ(gunzip(*packed.bytes), big);

  std::string short_answer(kMinGzipBytes - 1, 'a');
  auto small = encode_body(nullptr, short_answer, true);
  EXPECT_FALSE(small.gzipped);
  EXPECT_EQ(*small.bytes, short_answer);

  std::mt19937 rng(3);
  std::string noise(4096, '\0');
  for (auto& c : noise) c = static_cast<char>(rng());
  auto incompressible = encode_body(nullptr, noise, true);
  EXPECT_FALSE(incompressible.gzipped) << "gzip made it larger";
  EXPECT_EQ(*incompressible.bytes, noise);
}

TEST(EncodeBodyTest, SharedAnswerIsGzippedOnceForEveryThreadAndOutlivesTheCache) {
  std::string big = chart(2880);
  auto shared = std::make_shared<const SharedBody>(big);
  std::vector<std::future<EncodedBody>> answers;
  for (int i = 0; i < 8; ++i) {
    answers.push_back(std::async(std::launch::async, [shared] { return encode_body(shared, {}, true); }));
  }
  std::vector<EncodedBody> got;
  for (auto& a : answers) got.push_back(a.get());
  for (const auto& g : got) {
    EXPECT_TRUE(g.gzipped);
    EXPECT_EQ(g.bytes.get(), got[0].bytes.get()) << "made once, shared by all";
  }
  EXPECT_EQ(gunzip(*got[0].bytes), big);

  auto plain = encode_body(shared, {}, false);
  EXPECT_FALSE(plain.gzipped);
  EXPECT_EQ(plain.bytes.get(), &shared->plain());

  shared.reset();  // the cache dropped the answer; responses still being written keep it
  EXPECT_EQ(gunzip(*got[0].bytes), big);
  EXPECT_EQ(*plain.bytes, big);
}

}  // namespace
}  // namespace ypa::http
