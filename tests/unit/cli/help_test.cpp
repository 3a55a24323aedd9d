// The binary's --help pages and its refusal of unknown input; runs without servers.
#include <gtest/gtest.h>

#include <algorithm>

#include "support/run_command.hpp"

namespace ypa::testing {
namespace {

TEST(HelpTest, RootHelpListsEverySubcommand) {
  auto r = run_ypa({"--help"});
  ASSERT_EQ(r.exit_code, 0);
  for (const char* sub : {"stack", "init", "datagen", "run_pipeline", "list_runs", "drop_run", "promote_run",
                          "compare_runs", "serve", "schedule"}) {
    EXPECT_NE(r.out.find(std::string("\n  ") + sub + " "), std::string::npos) << sub << " missing from:\n" << r.out;
  }
}

struct HelpCase {
  std::vector<std::string> args;
  std::vector<std::string> flags;  // each must appear in the page
};

TEST(HelpTest, EverySubcommandDocumentsItsFlags) {
  std::vector<HelpCase> cases = {
      {{"stack", "up"}, {"--dir", "--pg-port", "--ch-port"}},
      {{"stack", "down"}, {"--dir"}},
      {{"stack", "status"}, {"--dir"}},
      {{"stack", "env"}, {"--dir"}},
      {{"init"}, {"--source-schema", "--demo-user"}},
      {{"datagen"}, {"--shops", "--iphones", "--from", "--to", "--seed", "--replace"}},
      {{"run_pipeline"},
       {"--run-id", "--from", "--to", "--device", "--batch-days", "--steps", "--iphone-ids", "--shop-ids", "--align",
        "--mode", "--since", "--allow-live"}},
      {{"list_runs"}, {"--json"}},
      {{"drop_run"}, {"--run-id", "--confirm", "--force-live", "--tables"}},
      {{"promote_run"}, {"--from", "--to", "--confirm", "--keep-backup", "--drop-source"}},
      {{"compare_runs"}, {"--base", "--target", "--tolerance", "--from", "--to", "--scope", "--json"}},
      {{"serve"}, {"--listen", "--no-auth"}},
      {{"schedule"}, {"--every", "--delay"}},
  };
  for (const auto& c : cases) {
    auto args = c.args;
    args.push_back("--help");
    auto r = run_ypa(args);
    std::string name = args[0] + (args.size() > 2 ? " " + args[1] : "");
    ASSERT_EQ(r.exit_code, 0) << name << ": " << r.err;
    EXPECT_NE(r.out.find("Usage: ypa " + name), std::string::npos) << r.out;
    for (const auto& flag : c.flags) {
      EXPECT_NE(r.out.find(flag), std::string::npos) << name << " --help lacks " << flag << ":\n" << r.out;
    }
  }
}

TEST(HelpTest, UnknownInputIsExit2WithOneLine) {
  for (const auto& args : std::vector<std::vector<std::string>>{
           {"bogus"}, {"init", "--no-such-flag"}, {"stack"}, {"drop_run"}}) {
    auto r = run_ypa(args);
    EXPECT_EQ(r.exit_code, 2) << args[0];
    EXPECT_EQ(r.err.rfind("ypa: error: ", 0), 0u) << r.err;
    EXPECT_EQ(std::count(r.err.begin(), r.err.end(), '\n'), 1) << r.err;
  }
}

TEST(HelpTest, UnreachableServerIsOneLineAndExitTwo) {
  // Nothing listens on port 1: the run commands fail with one line, not a hang or a crash.
  auto r = run_ypa({"list_runs"}, {"CLICKHOUSE_HOST=127.0.0.1", "CLICKHOUSE_PORT=1"});
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_EQ(r.err.rfind("ypa: error: ", 0), 0u) << r.err;
  EXPECT_EQ(std::count(r.err.begin(), r.err.end(), '\n'), 1) << r.err;
}

TEST(HelpTest, EmptyValuesAreRefusedNotTakenAsDefaults) {
  // Without the check, --steps '' would compute every step and --iphone-ids '' every iPhone.
  for (const auto& args : std::vector<std::vector<std::string>>{
           {"run_pipeline", "--run-id", "x", "--from", "2025-01-01", "--to", "2025-01-01", "--steps", ""},
           {"run_pipeline", "--run-id", "x", "--from", "2025-01-01", "--to", "2025-01-01", "--iphone-ids", ""},
           {"schedule", "--every", ""},
           {"stack", "up", "--dir", ""},
           {"compare_runs", "--base", "a", "--target", "b", "--scope", ""}}) {
    auto r = run_ypa(args, {"CLICKHOUSE_PORT=1", "PGPORT=1"});
    EXPECT_EQ(r.exit_code, 2) << args[0];
    EXPECT_NE(r.err.find(": it is empty"), std::string::npos) << r.err;
    EXPECT_EQ(std::count(r.err.begin(), r.err.end(), '\n'), 1) << r.err;
  }
}

TEST(HelpTest, VersionPrintsTheProjectVersion) {
  auto r = run_ypa({"--version"});
  EXPECT_EQ(r.exit_code, 0);
  EXPECT_EQ(r.out.rfind("ypa 0.", 0), 0u) << r.out;
}

}  // namespace
}  // namespace ypa::testing
