#include "pipeline/slice_compute.hpp"

#include <algorithm>
#include <cmath>

namespace ypa::pipeline {
namespace {

constexpr std::int64_t kMicros = 1'000'000;

}  // namespace

SliceComputer::SliceComputer(const Catalog& catalog, const RunOptions& options, const BucketGrid& grid,
                             compute::Backend& backend, RunStats& stats)
    : catalog_(catalog), options_(options), grid_(grid), backend_(backend), stats_(stats) {
  // Profiles: one per cohort that has one (cohorts rarely share profiles; duplicates cost little).
  for (const auto& cohort : catalog.cohorts) {
    compute::CohortPlan plan;
    for (const auto& m : cohort.members) {
      plan.member_series.push_back(static_cast<std::size_t>(catalog.iphone_index(m.iphone_id)));
      plan.member_weights.push_back(m.weight);
    }
    if (cohort.has_profile) {
      compute::ProfileWeights weights;
      for (auto shop_id : catalog.shop_ids) weights.by_shop.push_back(cohort.shop_weight(shop_id));
      plan.profile = static_cast<int>(profiles_.size());
      profiles_.push_back(std::move(weights));
    }
    cohort_plans_.push_back(std::move(plan));
  }
  feature_params_ = feature_params(options.settings);
  if (writes_shop_health(options)) {
    health_.emplace(catalog, grid, options.align, options.settings.outlier_band);
  }
}

void SliceComputer::seed(compute::FeatureCarry iphones, compute::FeatureCarry cohorts) {
  iphone_carry_ = std::move(iphones);
  cohort_carry_ = std::move(cohorts);
}

SliceResult SliceComputer::compute(SourceSlice&& slice) {
  auto start = std::chrono::steady_clock::now();
  const std::size_t n_shops = catalog_.shop_ids.size();
  const auto& records = slice.records;

  // Group by (iPhone, shop) with a counting sort, which keeps the (recorded_at, id) order in a group.
  std::vector<std::uint32_t> key(records.size());
  std::vector<std::size_t> group_start(catalog_.iphone_ids.size() * n_shops + 2, 0);
  constexpr std::uint32_t kSkip = ShopHealth::kOutsideCatalog;
  for (std::size_t i = 0; i < records.size(); ++i) {
    int series = catalog_.iphone_index(records[i].iphone_id);
    int shop = catalog_.shop_index(records[i].shop_id);
    key[i] = series < 0 || shop < 0 ? kSkip : static_cast<std::uint32_t>(series) * static_cast<std::uint32_t>(n_shops) +
                                                 static_cast<std::uint32_t>(shop);
    if (key[i] != kSkip) ++group_start[key[i] + 2];
  }
  for (std::size_t g = 2; g < group_start.size(); ++g) group_start[g] += group_start[g - 1];
  std::vector<domain::SourceRecord> grouped(group_start.back());
  for (std::size_t i = 0; i < records.size(); ++i) {
    if (key[i] != kSkip) grouped[group_start[key[i] + 1]++] = records[i];
  }
  // The source is ordered by recorded_at only; equal timestamps must be ordered by id (SPEC §3.1).
  auto by_time_then_id = [](const domain::SourceRecord& a, const domain::SourceRecord& b) {
    return a.recorded_at_us != b.recorded_at_us ? a.recorded_at_us < b.recorded_at_us : a.id < b.id;
  };
  for (std::size_t g = 0; g + 2 < group_start.size(); ++g) {
    auto first = grouped.begin() + static_cast<std::ptrdiff_t>(group_start[g]);
    auto last = grouped.begin() + static_cast<std::ptrdiff_t>(group_start[g + 1]);
    if (!std::is_sorted(first, last, by_time_then_id)) std::sort(first, last, by_time_then_id);
  }

  const bool health = health_ && !slice.plan.warmup;
  if (health) health_->add_records(slice.plan.buckets, records, key);
  // Invalid records, counted once: only those inside this slice's own part of the time line.
  if (!slice.plan.warmup) {
    std::int64_t own_begin = options_.align.mode == domain::AlignMode::kFloor
                                 ? slice.plan.buckets.first * kMicros
                                 : (slice.plan.buckets.first - grid_.interval_sec()) * kMicros + 1;
    domain::SkipCounts skipped;
    for (const auto& r : grouped) {
      if (r.recorded_at_us < own_begin) continue;
      if (!r.price_new) {
        ++skipped.null_price;
      } else if (*r.price_new <= 0) {
        ++skipped.nonpositive_price;
      }
    }
    stats_.add_skipped(skipped);
  }

  SliceResult result;
  result.plan = slice.plan;
  domain::SkipCounts ignored;
  result.aligned.reserve(records.size());
  for (std::size_t g = 0; g + 2 < group_start.size(); ++g) {
    std::size_t begin = group_start[g];
    std::size_t end = group_start[g + 1];
    if (begin == end) continue;
    domain::align_pair(std::span(grouped).subspan(begin, end - begin), grid_, slice.plan.buckets, options_.align,
                       result.aligned, ignored);
  }
  stats_.add("align", seconds_since(start), static_cast<std::int64_t>(records.size()),
             static_cast<std::int64_t>(result.aligned.size()), "cpu");
  return finish(std::move(result), health);
}

SliceResult SliceComputer::compute_from_aligned(const SlicePlan& plan, std::vector<domain::AlignedPrice>&& aligned) {
  SliceResult result;
  result.plan = plan;
  result.aligned = std::move(aligned);
  return finish(std::move(result), false);
}

SliceResult SliceComputer::finish(SliceResult result, bool health) {
  const EpochSeconds step = grid_.interval_sec();
  const auto n_buckets = static_cast<std::size_t>((result.plan.buckets.last - result.plan.buckets.first) / step + 1);
  const std::size_t n_series = catalog_.iphone_ids.size();
  const bool written = !result.plan.warmup;

  auto start = std::chrono::steady_clock::now();
  compute::PriceCube cube(n_series, n_buckets, catalog_.shop_ids.size());
  for (const auto& row : result.aligned) {
    int series = catalog_.iphone_index(row.iphone_id);
    int shop = catalog_.shop_index(row.shop_id);
    if (series < 0 || shop < 0) continue;
    auto b = static_cast<std::size_t>((row.bucket - result.plan.buckets.first) / step);
    cube.price[cube.offset(static_cast<std::size_t>(series), b) + static_cast<std::size_t>(shop)] = row.price_new;
  }
  compute::ProfilePrices profile_prices;
  result.iphones = backend_.aggregate(cube, domain::AggregateParams{options_.settings.outlier_band}, profiles_,
                                      profiles_.empty() ? nullptr : &profile_prices);
  std::int64_t present = 0, below_quorum = 0;
  for (auto count : result.iphones.shop_count) {
    present += count > 0;
    below_quorum += count > 0 && count < options_.settings.min_quorum;
  }
  if (written) stats_.add_below_quorum(below_quorum);
  stats_.add("aggregate", seconds_since(start), static_cast<std::int64_t>(result.aligned.size()), present,
             backend_.name());
  if (health) {
    start = std::chrono::steady_clock::now();
    health_->add_cells(result.plan.buckets, cube, result.iphones);
    result.health = health_->take(result.plan.buckets.last, options_.range.first,
                                  result.plan.buckets.last >= options_.range.last);
    stats_.add("health", seconds_since(start), static_cast<std::int64_t>(result.aligned.size()),
               static_cast<std::int64_t>(result.health.size()), "cpu");
  }

  if (!cohort_plans_.empty()) {
    start = std::chrono::steady_clock::now();
    result.cohorts = backend_.cohorts(result.iphones, profile_prices, cohort_plans_);
    std::int64_t cohort_rows = 0;
    for (auto n : result.cohorts.n_models) cohort_rows += n > 0;
    stats_.add("cohorts", seconds_since(start), present, cohort_rows, backend_.name());
    start = std::chrono::steady_clock::now();
    result.cohort_features = backend_.features(result.cohorts, cohort_carry_, feature_params_);
    stats_.add("features", seconds_since(start), cohort_rows, cohort_rows, backend_.name());
  }
  start = std::chrono::steady_clock::now();
  result.iphone_features = backend_.features(result.iphones, iphone_carry_, feature_params_);
  stats_.add("features", seconds_since(start), present, present, backend_.name());
  return result;
}

}  // namespace ypa::pipeline
