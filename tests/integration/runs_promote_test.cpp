// promote_run against the real server: months replaced atomically (a concurrent reader never sees a
// month of live empty or mixed), crashes at fail points and SIGKILL at random moments repaired by a
// rerun, backup retention, --drop-source only after verification, Tokyo months.
#include <regex>

#include "promote_scenario.hpp"

namespace ypa::testing {
namespace {

using PromoteRunTest = PromoteScenarioTest;

TEST_F(PromoteRunTest, DryRunPrintsThePlanAndChangesNothing) {
  fill_scenario();
  auto r = ypa({"promote_run", "--from", "bf", "--to", "live", "--keep-backup"});
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_NE(r.out.find("price_aligned 202503: bf -> live"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("price_aligned 202412: dropped from live, not in bf"), std::string::npos) << r.out;
  EXPECT_TRUE(std::regex_search(r.out, std::regex("backup of live first: backup_[0-9]{8}\n"))) << r.out;
  EXPECT_EQ(fingerprint("live"), old_);
  EXPECT_EQ(runs(), "bf\nlive\nold\n");
}

TEST_F(PromoteRunTest, ReplacesEveryMonthDeduplicatedAndDropsMonthsTheSourceLacks) {
  fill_scenario();
  auto r = ypa({"promote_run", "--from", "bf", "--to", "live", "--confirm"});
  ASSERT_EQ(r.exit_code, 0) << r.out << r.err;
  EXPECT_NE(r.out.find("promoted bf into live: 6 months"), std::string::npos) << r.out;
  EXPECT_EQ(fingerprint("live"), bf_);
  EXPECT_EQ(months("live"), "202501\n202502\n202503\n");
  // Copies are deduplicated: no stale version reaches live, even before any merge.
  EXPECT_EQ(clickhouse("SELECT count() FROM " + db_ + ".price_aligned WHERE run_id = 'live'"),
            clickhouse("SELECT count() FROM " + db_ + ".price_aligned FINAL WHERE run_id = 'bf'"));
  auto cmp = ypa({"compare_runs", "--base", "bf", "--target", "live"});
  EXPECT_EQ(cmp.exit_code, 0) << cmp.out << cmp.err;
  EXPECT_EQ(fingerprint("bf"), bf_);  // the source stays without --drop-source
}

TEST_F(PromoteRunTest, UnknownSourceOrSameRunIsRefused) {
  fill_scenario();
  auto r = ypa({"promote_run", "--from", "nope", "--to", "live", "--confirm"});
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_NE(r.err.find("--from: run nope does not exist"), std::string::npos) << r.err;
  auto same = ypa({"promote_run", "--from", "live", "--to", "live", "--confirm"});
  EXPECT_EQ(same.exit_code, 2);
  EXPECT_EQ(fingerprint("live"), old_);
}

// A second connection keeps counting live per month while promotes run back and forth: every month
// it sees is wholly the old or wholly the new data, never empty, never both.
TEST_F(PromoteRunTest, ConcurrentReaderNeverSeesAMonthEmptyOrMixed) {
  fill_scenario();
  auto seen = read_live_while_promoting(3, "0");
  EXPECT_TRUE(seen.problems.empty()) << fmt::format("{}", fmt::join(seen.problems, "\n"));
  EXPECT_GT(seen.reads, 20);
  EXPECT_EQ(fingerprint("live"), old_);
}

TEST_F(PromoteRunTest, CrashAtEachFailPointThenRerunFinishes) {
  const std::vector<CrashCase> cases{
      {"promote_after_stage:1", true, false},              // while building the backup
      {"promote_after_backup:1", true, false},             // backup done, live untouched
      {"promote_after_stage:3", false, false},             // a month staged, not yet swapped in
      {"promote_after_replace:2", false, false},           // a month swapped, staging not cleared
      {"promote_after_replace:5", true, false},            // in the middle of the months
      {"promote_before_journal_replaced:1", false, true},  // all months in, not verified
      {"promote_after_verify:1", false, true},             // verified, source not dropped yet
      {"promote_during_drop_source:2", true, true},        // source half dropped
  };
  for (const auto& c : cases) {
    SCOPED_TRACE(c.failpoint);
    make_database();
    fill_scenario();
    std::vector<std::string> args{"promote_run", "--from", "bf", "--to", "live", "--confirm"};
    if (c.keep_backup) args.push_back("--keep-backup");
    if (c.drop_source) args.push_back("--drop-source");
    auto crashed = ypa(args, {"YPA_FAILPOINT=" + c.failpoint});
    ASSERT_EQ(crashed.exit_code, 137) << crashed.out << crashed.err;
    // At the crash every month of live is wholly old or wholly new.
    auto live = clickhouse(
        "SELECT toYYYYMM(bucket) AS m, count(), countIf(price_new < 1500) > 0 AND "
        "countIf(price_new >= 1500) > 0 FROM " +
        db_ + ".price_aligned WHERE run_id = 'live' GROUP BY m ORDER BY m FORMAT TSV");
    EXPECT_EQ(live.find("\t1\n"), std::string::npos) << live;
    if (!c.drop_source || c.failpoint != "promote_during_drop_source:2") {
      EXPECT_EQ(fingerprint("bf"), bf_) << "the source changed before verification";
    }

    auto rerun = ypa(args);
    ASSERT_EQ(rerun.exit_code, 0) << rerun.out << rerun.err;
    EXPECT_NE(rerun.out.find("this run finishes it"), std::string::npos) << rerun.out;
    EXPECT_EQ(fingerprint("live"), bf_);
    if (c.drop_source) {
      EXPECT_EQ(fingerprint("bf"), "");
    } else {
      auto cmp = ypa({"compare_runs", "--base", "bf", "--target", "live"});
      EXPECT_EQ(cmp.exit_code, 0) << cmp.out;
    }
    if (c.keep_backup) {
      auto backups = clickhouse("SELECT DISTINCT run_id FROM " + db_ +
                                ".price_aligned WHERE run_id LIKE 'backup_%' FORMAT TSV");
      ASSERT_TRUE(std::regex_match(backups, std::regex("backup_[0-9]{8}\n"))) << backups;
      EXPECT_EQ(fingerprint(backups.substr(0, backups.size() - 1)), old_);
    }
    // Nothing left half-built: staging empty, journal finished, a third run is a plain new promote.
    EXPECT_EQ(clickhouse("SELECT count() FROM " + db_ + ".price_aligned_promote_staging"), "0\n");
    auto list = ypa({"list_runs"});
    EXPECT_EQ(list.out.find("note: the promote"), std::string::npos) << list.out;
  }
}

// The journal's order does not come from the host's clock: a promote started on one host, resumed on a
// host whose clock is an hour behind (or after the clock was stepped back) and stopped again while it
// dropped the source, is finished from the step it reached. Resuming an earlier step would copy the
// half-dropped source into live again and drop from live the months already gone from the source.
TEST_F(PromoteRunTest, ResumeFollowsTheJournalNotTheHostClock) {
  fill_scenario();
  std::vector<std::string> args{"promote_run", "--from", "bf", "--to", "live", "--confirm", "--drop-source"};
  auto first = ypa(args, {"YPA_FAILPOINT=promote_after_backup:1"});
  ASSERT_EQ(first.exit_code, 137) << first.out << first.err;
  auto behind = ypa_with_clock("-3600s", args, {"YPA_FAILPOINT=promote_during_drop_source:2"});
  ASSERT_EQ(behind.exit_code, 137) << behind.out << behind.err;
  ASSERT_NE(behind.out.find("after step backed_up"), std::string::npos) << behind.out << behind.err;
  ASSERT_NE(fingerprint("bf"), "") << "the source should be half dropped";

  auto rerun = ypa(args);
  ASSERT_EQ(rerun.exit_code, 0) << rerun.out << rerun.err;
  EXPECT_NE(rerun.out.find("after step verified"), std::string::npos) << rerun.out;
  EXPECT_EQ(fingerprint("live"), bf_);
  EXPECT_EQ(months("live"), "202501\n202502\n202503\n");
  EXPECT_EQ(fingerprint("bf"), "");
  auto list = ypa({"list_runs"});
  EXPECT_EQ(list.out.find("note: the promote"), std::string::npos) << list.out;
}

// A journal written by an earlier ypa (seq = the host's clock in nanoseconds, one per row) stays
// readable: its unfinished promote is resumed from its latest row, and the next promote's number
// continues above the clock values.
TEST_F(PromoteRunTest, JournalOfAnEarlierVersionIsResumedAndContinued) {
  fill_scenario();
  const std::string journal = db_ + ".run_promotions";
  clickhouse("INSERT INTO " + journal +
             " (target, source, backup, keep_backup, drop_source, phase, seq) VALUES "
             "('live', 'bf', '', 0, 0, 'started', 1764000000000000000), "
             "('live', 'bf', '', 0, 0, 'backed_up', 1764000000500000000)");
  auto list = ypa({"list_runs"});
  EXPECT_NE(list.out.find("note: the promote"), std::string::npos) << list.out;
  auto rerun = ypa({"promote_run", "--from", "bf", "--to", "live", "--confirm"});
  ASSERT_EQ(rerun.exit_code, 0) << rerun.out << rerun.err;
  EXPECT_NE(rerun.out.find("after step backed_up"), std::string::npos) << rerun.out;
  EXPECT_EQ(fingerprint("live"), bf_);
  auto next = ypa({"promote_run", "--from", "old", "--to", "live", "--confirm"});
  ASSERT_EQ(next.exit_code, 0) << next.out << next.err;
  EXPECT_EQ(fingerprint("live"), old_);
  EXPECT_EQ(clickhouse("SELECT arraySort(groupArray(phase)) FROM " + journal +
                       " WHERE target = 'live' AND seq = 1764000000500000001"),
            "['backed_up','done','replaced','started','verified']\n");
  EXPECT_EQ(ypa({"list_runs"}).out.find("note: the promote"), std::string::npos);
}

TEST_F(PromoteRunTest, SigkillAtRandomMomentsThenRerunLeavesLiveEqualToTheSource) {
  fill_scenario();
  // Until one promote was killed mid-way: how long a promote takes depends on the machine's load.
  int killed = kill_promotes_and_rerun(8, 20250131, std::chrono::milliseconds(600), {}, 1);
  EXPECT_GT(killed, 0);
  EXPECT_EQ(
      clickhouse("SELECT count(DISTINCT run_id) FROM " + db_ + ".price_aligned WHERE run_id LIKE 'backup_%'"),
      "2\n");
}

TEST_F(PromoteRunTest, KeepBackupKeepsExactlyBackupKeepBackups) {
  fill_scenario();
  auto backups = [&] {
    return clickhouse("SELECT DISTINCT run_id FROM " + db_ +
                      ".features_wide WHERE run_id LIKE 'backup_%' ORDER BY run_id FORMAT TSV");
  };
  std::vector<std::string> env{"BACKUP_KEEP=2"};
  ASSERT_EQ(ypa({"promote_run", "--from", "bf", "--to", "live", "--confirm", "--keep-backup"}, env).exit_code,
            0);
  auto first = backups();
  ASSERT_TRUE(std::regex_match(first, std::regex("backup_[0-9]{8}\n"))) << first;
  std::string day = first.substr(0, first.size() - 1);
  EXPECT_EQ(fingerprint(day), old_);
  ASSERT_EQ(
      ypa({"promote_run", "--from", "old", "--to", "live", "--confirm", "--keep-backup"}, env).exit_code, 0);
  EXPECT_EQ(backups(), day + "\n" + day + "_2\n");
  EXPECT_EQ(fingerprint(day + "_2"), bf_);
  auto third = ypa({"promote_run", "--from", "bf", "--to", "live", "--confirm", "--keep-backup"}, env);
  ASSERT_EQ(third.exit_code, 0) << third.err;
  EXPECT_NE(third.out.find("dropped old backup " + day + " (BACKUP_KEEP=2)"), std::string::npos) << third.out;
  EXPECT_EQ(backups(), day + "_2\n" + day + "_3\n");
  EXPECT_EQ(fingerprint(day + "_3"), old_);
  EXPECT_EQ(fingerprint("live"), bf_);
  // BACKUP_KEEP=1: one backup after the next promote.
  ASSERT_EQ(
      ypa({"promote_run", "--from", "old", "--to", "live", "--confirm", "--keep-backup"}, {"BACKUP_KEEP=1"})
          .exit_code,
      0);
  EXPECT_EQ(backups(), day + "_4\n");
}

TEST_F(PromoteRunTest, DropSourceRemovesTheSourceAfterVerification) {
  fill_scenario();
  auto r = ypa({"promote_run", "--from", "bf", "--to", "live", "--confirm", "--drop-source"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  auto verified = r.out.find("verified 6 months"), dropped = r.out.find("dropped the source bf");
  ASSERT_NE(verified, std::string::npos) << r.out;
  ASSERT_NE(dropped, std::string::npos) << r.out;
  EXPECT_LT(verified, dropped);
  EXPECT_EQ(fingerprint("live"), bf_);
  EXPECT_EQ(fingerprint("bf"), "");
  EXPECT_EQ(partitions_of("bf"), "");
}

// Tokyo months, not UTC months: a source whose buckets straddle a Tokyo month boundary inside one
// UTC month becomes two months of live, and one straddling a UTC boundary inside one Tokyo month one.
TEST_F(PromoteRunTest, TokyoMonthBoundaries) {
  fill("live", "2025-01-20 00:00:00", 8, 2, 2, 1000);
  fill("tokyo_split", "2025-01-31 23:00:00", 9, 2, 2, 2000);
  auto r = ypa({"promote_run", "--from", "tokyo_split", "--to", "live", "--confirm"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(fingerprint("live"), fingerprint("tokyo_split"));
  EXPECT_EQ(partitions_of("live"),
            "features_wide\t('live',202501)\nfeatures_wide\t('live',202502)\n"
            "price_aligned\t('live',202501)\nprice_aligned\t('live',202502)\n");

  fill("utc_split", "2025-02-01 08:00:00", 9, 2, 2, 3000);
  auto u = ypa({"promote_run", "--from", "utc_split", "--to", "live", "--confirm"});
  ASSERT_EQ(u.exit_code, 0) << u.err;
  EXPECT_EQ(fingerprint("live"), fingerprint("utc_split"));
  EXPECT_EQ(partitions_of("live"), "features_wide\t('live',202502)\nprice_aligned\t('live',202502)\n");
  EXPECT_EQ(ypa({"compare_runs", "--base", "utc_split", "--target", "live"}).exit_code, 0);
}

}  // namespace
}  // namespace ypa::testing
