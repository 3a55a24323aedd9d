#include "pipeline/run_history.hpp"

#include <fmt/format.h>

#include <cmath>
#include <unordered_map>

#include "store/pipeline_queries.hpp"

namespace ypa::pipeline {

RunHistory load_run_history(clickhouse::Client& client, const std::string& database, const RunOptions& options,
                            const Catalog& catalog, const domain::FeatureParams& params) {
  const EpochSeconds step = EpochSeconds{options.settings.interval_min} * 60;
  const EpochSeconds first = options.range.first;
  const auto tail_length = static_cast<std::size_t>(params.max_window() - 1);

  // Scope name -> (is cohort, series index).
  std::unordered_map<std::string, std::pair<bool, std::size_t>> scopes;
  for (std::size_t i = 0; i < catalog.iphone_ids.size(); ++i) scopes[fmt::format("iphone:{}", catalog.iphone_ids[i])] = {false, i};
  for (std::size_t c = 0; c < catalog.cohorts.size(); ++c) scopes["cohort:" + catalog.cohorts[c].slug] = {true, c};

  RunHistory history;
  auto start = client.select_value(store::select_first_bucket_sql(database, options.run_id));
  history.run_start = start ? static_cast<EpochSeconds>(std::stoll(*start)) : 0;
  if (history.run_start == 0 || history.run_start >= first) return history;  // nothing before `first`
  if (history.run_start > first - static_cast<EpochSeconds>(tail_length) * step) return history;  // too young

  history.iphones.series.assign(catalog.iphone_ids.size(), domain::initial_carry(params));
  history.cohorts.series.assign(catalog.cohorts.size(), domain::initial_carry(params));
  auto carry_of = [&](const std::string& scope) -> domain::SeriesCarry* {
    auto it = scopes.find(scope);
    if (it == scopes.end()) return nullptr;
    auto& set = it->second.first ? history.cohorts : history.iphones;
    return &set.series[it->second.second];
  };

  // The EMA state: each scope's EMA at its latest bucket within the warm-up horizon before `first`.
  std::vector<std::string> ema_columns;
  for (int w : options.settings.window_min) ema_columns.push_back(fmt::format("ema_{}", w));
  const EpochSeconds horizon = first - EpochSeconds{default_warmup_buckets(options.settings)} * step;
  history.found = true;
  for (const auto& row : client.select_rows(
           store::select_latest_ema_sql(database, options.run_id, horizon, first - step, ema_columns))) {
    auto* carry = carry_of(row.at(0).value_or(""));
    if (carry == nullptr) continue;
    for (std::size_t w = 0; w < ema_columns.size(); ++w) {
      carry->ema[w] = row.at(w + 1) ? std::stod(*row.at(w + 1)) : NAN;
    }
  }
  if (tail_length == 0) return history;

  // The window tails: the means of the last max_window - 1 buckets before `first`.
  const EpochSeconds tail_first = first - static_cast<EpochSeconds>(tail_length) * step;
  client.select(store::select_mean_history_sql(database, options.run_id, tail_first, first - step),
                [&](const clickhouse::Block& block) {
                  const auto& scope = block.column(0).as<clickhouse::ColumnString>();
                  const auto& bucket = block.column(1).as<clickhouse::ColumnUInt32>();
                  const auto& mean = block.column(2).as<clickhouse::ColumnFloat64>();
                  for (std::size_t r = 0; r < block.row_count(); ++r) {
                    auto* carry = carry_of(std::string(scope[r]));
                    if (carry == nullptr) continue;
                    auto index = static_cast<std::size_t>((EpochSeconds{bucket[r]} - tail_first) / step);
                    if (index < carry->tail.size()) carry->tail[index] = mean[r];
                  }
                });
  return history;
}

}  // namespace ypa::pipeline
