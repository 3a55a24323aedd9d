// Malformed run ids (SPEC §8) are refused by every run command with a clear one-line message, before
// anything in ClickHouse changes.
#include "runs_test_fixture.hpp"

namespace ypa::testing {
namespace {

class RunIdsTest : public RunsTest {};

TEST_F(RunIdsTest, MalformedIdsAreRefusedAndChangeNothing) {
  fill("live", "2025-01-31 20:00:00", 8, 2, 2, 1000);
  fill("bf1", "2025-01-31 20:00:00", 8, 2, 2, 2000);
  auto snapshot = [&] {
    return fingerprint("live") + fingerprint("bf1") +
           clickhouse("SELECT name FROM system.tables WHERE database = '" + db_ +
                      "' ORDER BY name FORMAT TSV");
  };
  auto before = snapshot();
  const std::vector<std::string> bad{"x') OR 1=1 --",      "",     std::string(65, 'a'), "ライブ",
                                     "live; DROP TABLE x", "bf1\n"};
  for (const auto& id : bad) {
    SCOPED_TRACE(id);
    for (const auto& args :
         std::vector<std::vector<std::string>>{{"drop_run", "--run-id", id, "--confirm", "--force-live"},
                                               {"promote_run", "--from", id, "--to", "live", "--confirm"},
                                               {"promote_run", "--from", "bf1", "--to", id, "--confirm"},
                                               {"compare_runs", "--base", id, "--target", "live"},
                                               {"compare_runs", "--base", "live", "--target", id}}) {
      auto r = ypa(args);
      EXPECT_EQ(r.exit_code, 2) << args[0] << r.out;
      EXPECT_NE(r.err.find("is not a valid run id"), std::string::npos) << r.err;
      EXPECT_EQ(r.err.find('\n'), r.err.size() - 1) << "one line: " << r.err;
    }
  }
  auto empty = ypa({"drop_run", "--run-id", "", "--confirm"});
  EXPECT_NE(empty.err.find("it is empty"), std::string::npos) << empty.err;
  auto long_id = ypa({"drop_run", "--run-id", std::string(65, 'a'), "--confirm"});
  EXPECT_NE(long_id.err.find("65 characters, at most 64"), std::string::npos) << long_id.err;
  auto unicode = ypa({"drop_run", "--run-id", "ライブ", "--confirm"});
  EXPECT_NE(unicode.err.find("byte 0xe3 at position 1"), std::string::npos) << unicode.err;
  EXPECT_EQ(snapshot(), before);
  // A 64-character id is fine.
  EXPECT_EQ(ypa({"drop_run", "--run-id", std::string(64, 'a')}).exit_code, 2);  // valid, but unknown
}

}  // namespace
}  // namespace ypa::testing
