// http/auth/python_json against Python's json module itself (python3 run at test time): the same error
// message and position, or none, for a list of malformed and well-formed texts and their every prefix.
#include "http/auth/python_json.hpp"

#include <gtest/gtest.h>

#include <cstdio>
#include <fstream>
#include <memory>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

namespace ypa::http::auth {
namespace {

TEST(PythonJson, ErrorsAreThoseOfPythonsJsonModule) {
  std::vector<std::string> texts = {
      R"({"username": "alice", "password": "x"})",
      "{\n  \"username\": \"\xc3\xa9l\xc3\xa8ve\",\n  \"password\": [1, 2.5e-3, -0, true, false, null, "
      "{}]\n}",
      R"({"a": "\u00e9\n\"\\\/\b\f\r\t"})",
      R"({"a" 1})",
      R"({"a": 1 "b": 2})",
      R"({"a": 1,})",
      R"([1, 2,])",
      R"([1 2])",
      R"({"a": })",
      R"({'a': 1})",
      R"({"a": "b\q"})",
      R"({"a": "\u12G4"})",
      R"({"a": "\u12"})",
      "{\"a\": \"x\ty\"}",
      R"({"a": 01})",
      R"({"a": -})",
      R"({"a": 1.})",
      R"({"a": 1e})",
      R"({"a": .5})",
      R"({"a": NaN})",
      R"({"a": -Infinity})",
      R"({"a": Infinity})",
      R"({"a": nul})",
      R"({"a": tru})",
      "\xef\xbb\xbf{}",
      "   ",
      "",
      "{} x",
      "[] ]",
      R"({"a": [1, {"b": }]})",
      R"("\ud800")",
      "{\"\xc3\xa9\": \"\xe6\x97\xa5\" x}",
      "[\n\n  1,\n  x]",
  };
  // Every prefix of the first few, which ends the text at every state of the scanner.
  for (std::size_t k = 0; k < 3; ++k) {
    for (std::size_t n = 0; n < texts[k].size(); ++n) {
      std::string prefix = texts[k].substr(0, n);
      // Cut inside a UTF-8 sequence would not be text Python's decoder gives json.
      if (n < texts[k].size() && (static_cast<unsigned char>(texts[k][n]) & 0xC0) == 0x80) continue;
      texts.push_back(prefix);
    }
  }
  const std::string path = ::testing::TempDir() + "python_json_test.json";
  {
    std::ofstream out(path, std::ios::binary);
    out << nlohmann::json(texts).dump();
  }
  const std::string program =
      "import json, sys\n"
      "def err(t):\n"
      "    try:\n"
      "        json.loads(t, parse_constant=lambda o: (_ for _ in ()).throw(ValueError("
      "\"Out of range float values are not JSON compliant: \" + repr(o))))\n"
      "        return None\n"
      "    except ValueError as e:\n"
      "        return str(e)\n"
      "print(json.dumps([err(t) for t in json.load(open(sys.argv[1], encoding=\"utf-8\"))]))\n";
  const std::string command = "/usr/bin/python3 -c '" + program + "' " + path;
  std::unique_ptr<FILE, decltype(&pclose)> pipe(popen(command.c_str(), "r"), &pclose);
  ASSERT_TRUE(pipe);
  std::string out;
  char buffer[4096];
  while (std::size_t n = fread(buffer, 1, sizeof buffer, pipe.get())) out.append(buffer, n);
  auto python = nlohmann::json::parse(out, nullptr, false);
  ASSERT_TRUE(python.is_array()) << out;
  ASSERT_EQ(python.size(), texts.size());
  std::size_t errors = 0;
  for (std::size_t i = 0; i < texts.size(); ++i) {
    auto ours = python_json_error(texts[i]);
    if (python[i].is_null()) {
      EXPECT_FALSE(ours) << texts[i] << " -> " << *ours;
    } else {
      ++errors;
      EXPECT_EQ(ours.value_or("(none)"), python[i].get<std::string>()) << texts[i];
    }
  }
  EXPECT_GT(errors, 60u);  // the list really exercises the errors
}

}  // namespace
}  // namespace ypa::http::auth
