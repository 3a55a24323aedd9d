// render_json against Django REST Framework's own JSONRenderer (run by /usr/bin/python3): the same bytes
// for doubles of every magnitude and for strings with quotes, control characters, non-ASCII text and
// U+2028/U+2029. Values travel to Python exactly: doubles as hex floats, strings as hex bytes.
#include "http/render.hpp"

#include <gtest/gtest.h>
#include <unistd.h>

#include <cmath>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <limits>
#include <random>
#include <string>
#include <vector>

namespace ypa::http {
namespace {

using Json = nlohmann::ordered_json;

// Reads `kind value` lines (f: a hex float, s: a UTF-8 string as hex bytes) and prints DRF's rendering
// of the list of values.
constexpr const char* kOracle = R"py(
import sys
from django.conf import settings
settings.configure()
from rest_framework.renderers import JSONRenderer
values = []
for line in open(sys.argv[1]):
    kind, _, text = line.rstrip("\n").partition(" ")
    values.append(float.fromhex(text) if kind == "f" else bytes.fromhex(text).decode("utf-8"))
sys.stdout.buffer.write(JSONRenderer().render(values))
)py";

std::string drf_render(const std::vector<double>& doubles, const std::vector<std::string>& strings) {
  auto dir = std::filesystem::temp_directory_path();
  auto input = dir / ("ypa-render-" + std::to_string(::getpid()) + ".txt");
  auto script = dir / ("ypa-render-" + std::to_string(::getpid()) + ".py");
  {
    std::ofstream in(input), py(script);
    char hex[64];
    for (double d : doubles) {
      std::snprintf(hex, sizeof hex, "%a", d);
      in << "f " << hex << "\n";
    }
    for (const auto& s : strings) {
      in << "s ";
      for (unsigned char c : s) {
        std::snprintf(hex, sizeof hex, "%02x", c);
        in << hex;
      }
      in << "\n";
    }
    py << kOracle;
  }
  std::string command = "/usr/bin/python3 " + script.string() + " " + input.string();
  FILE* pipe = ::popen(command.c_str(), "r");
  std::string out;
  char chunk[65536];
  for (std::size_t n; pipe && (n = std::fread(chunk, 1, sizeof chunk, pipe)) > 0;) out.append(chunk, n);
  int status = pipe ? ::pclose(pipe) : -1;
  std::filesystem::remove(input);
  std::filesystem::remove(script);
  EXPECT_EQ(status, 0) << command << " failed (needs python3-djangorestframework)";
  return out;
}

std::vector<double> doubles_to_check() {
  std::vector<double> v{0.0,
                        -0.0,
                        1.0,
                        -1.0,
                        0.1,
                        0.5,
                        85000.0,
                        2963.781368454833,
                        1e-4,
                        9.99e-5,
                        1e-5,
                        1.5e-7,
                        1e15,
                        1e16,
                        9999999999999998.0,
                        1.2345e16,
                        1e22,
                        1e100,
                        1e-300,
                        5e-324,
                        std::numeric_limits<double>::max(),
                        std::numeric_limits<double>::min(),
                        123456789012345680.0,
                        0.016739902531124128};
  std::mt19937_64 rng(11);
  // Any finite double: random bits.
  for (int i = 0; i < 3000; ++i) {
    std::uint64_t bits = rng();
    double d;
    std::memcpy(&d, &bits, sizeof d);
    if (std::isfinite(d)) v.push_back(d);
  }
  // Values like the API's: means and ratios of yen prices.
  std::uniform_int_distribution<int> yen(50000, 250000), n(1, 24);
  for (int i = 0; i < 3000; ++i) {
    int count = n(rng);
    double sum = 0;
    for (int k = 0; k < count; ++k) sum += yen(rng);
    v.push_back(sum / count);
    v.push_back(std::sqrt(sum) / count / 1000.0);
  }
  return v;
}

TEST(RenderJsonTest, DoublesAreTheBytesDrfWrites) {
  auto doubles = doubles_to_check();
  Json array = Json::array();
  for (double d : doubles) array.push_back(d);
  EXPECT_EQ(render_json(array), drf_render(doubles, {}));
}

TEST(RenderJsonTest, StringsAreTheBytesDrfWrites) {
  std::vector<std::string> strings{"",
                                   "plain",
                                   "quote \" and backslash \\",
                                   "slash / stays",
                                   "tab\tnewline\nreturn\rbell\x07 unit\x1f del\x7f",
                                   "\xE3\x82\xA2\xE3\x83\x83\xE3\x83\x97\xE3\x83\xAB 256GB",  // katakana
                                   "emoji \xF0\x9F\x93\xB1",
                                   "line\xE2\x80\xA8sep\xE2\x80\xA9para"};
  Json array = Json::array();
  for (const auto& s : strings) array.push_back(s);
  EXPECT_EQ(render_json(array), drf_render({}, strings));
}

TEST(RenderJsonTest, NestedObjectsKeepTheirKeyOrderAndNonFiniteIsNull) {
  Json v = Json::object();
  v["z"] = 1;
  v["a"] = Json::array({true, false, nullptr, -7, 18446744073709551615ull, 2.5});
  v["nan"] = std::nan("");
  v["inf"] = -std::numeric_limits<double>::infinity();
  v["o"] = Json::object({{"k", "v"}});
  EXPECT_EQ(render_json(v),
            R"({"z":1,"a":[true,false,null,-7,18446744073709551615,2.5],"nan":null,"inf":null,)"
            R"("o":{"k":"v"}})");
}

}  // namespace
}  // namespace ypa::http
