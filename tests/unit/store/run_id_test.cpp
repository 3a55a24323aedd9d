// Run id validation (SPEC §8): exactly ^[A-Za-z0-9_]{1,64}$, with messages that name the flag and the reason.
#include "store/run_id.hpp"

#include <gtest/gtest.h>

#include "core/errors.hpp"

namespace ypa::store {
namespace {

TEST(RunId, AcceptsLettersDigitsUnderscoreUpTo64) {
  for (const char* id : {"live", "bf1", "backup_20250101_2", "A", "_", "0"})
    EXPECT_TRUE(is_valid_run_id(id)) << id;
  EXPECT_TRUE(is_valid_run_id(std::string(64, 'a')));
}

TEST(RunId, RefusesMalformedIds) {
  for (std::string id :
       {std::string("x') OR 1=1 --"), std::string(""), std::string(65, 'a'), std::string("ライブ"),
        std::string("caf\xc3\xa9"), std::string("a b"), std::string("a-b"), std::string("a\nb"),
        std::string("a'b"), std::string("a\0b", 3), std::string("a.b"), std::string("`a`")}) {
    EXPECT_FALSE(is_valid_run_id(id)) << id;
  }
}

TEST(RunId, MessagesNameTheFlagAndTheReason) {
  try {
    validate_run_id("x') OR 1=1 --", "--run-id");
    FAIL() << "no exception";
  } catch (const InputError& e) {
    std::string m = e.what();
    EXPECT_NE(m.find("--run-id"), std::string::npos) << m;
    EXPECT_NE(m.find("not a valid run id"), std::string::npos) << m;
    EXPECT_NE(m.find("position 2"), std::string::npos) << m;
  }
  EXPECT_EQ(*run_id_problem(""), "it is empty");
  EXPECT_EQ(*run_id_problem(std::string(65, 'a')), "it has 65 characters, at most 64 are allowed");
  EXPECT_NE(run_id_problem("\xe3\x83\xa9")->find("byte 0xe3 at position 1"), std::string::npos);
}

TEST(RunId, ErrorMessageStaysOnOneLine) {
  try {
    validate_run_id("a\nb\x1b[31m", "--from");
    FAIL() << "no exception";
  } catch (const InputError& e) {
    std::string m = e.what();
    EXPECT_EQ(m.find('\n'), std::string::npos) << m;
    EXPECT_EQ(m.find('\x1b'), std::string::npos) << m;
  }
}

}  // namespace
}  // namespace ypa::store
