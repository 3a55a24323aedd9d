#include "http/api.hpp"

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include <algorithm>
#include <cmath>
#include <set>

#include "clickhouse/errors.hpp"
#include "core/clock.hpp"
#include "http/form.hpp"
#include "http/jwt.hpp"
#include "http/ui.hpp"
#include "core/errors.hpp"
#include "store/api_queries.hpp"
#include "store/compare.hpp"
#include "store/health_findings.hpp"
#include "store/pipeline_queries.hpp"
#include "store/run_id.hpp"
#include "store/runs.hpp"

namespace ypa::http {
namespace {

using Json = nlohmann::ordered_json;

// A chart query returns every matching point; past this many the caller must narrow the filters.
constexpr std::uint64_t kMaxPoints = 100000;
constexpr std::size_t kMaxCacheEntries = 4096;
// How long past its lifetime a cached answer may still be served while one request refreshes it.
constexpr std::chrono::seconds kMaxStale{10};
// SPEC §10: a bucket is final once it is five minutes old.
constexpr EpochSeconds kFinalAfter = 300;
constexpr const char* kUnavailable = "Service temporarily unavailable, try again later.";

Response json_response(int status, const Json& body) {
  return Response{status, render_json(body), nullptr, "application/json", {}};
}

// The first line of a server message, at most 300 bytes: enough to name the table or column at fault.
std::string first_line(const std::string& message) {
  std::string line = message.substr(0, message.find('\n'));
  if (line.size() > 300) line = line.substr(0, 300) + "...";
  return line;
}

Response detail(int status, std::string_view message) { return json_response(status, Json{{"detail", message}}); }

Json number_or_null(const std::optional<double>& v) {
  if (!v || !std::isfinite(*v)) return nullptr;
  return *v;
}

Json finite(double v) { return std::isfinite(v) ? Json(v) : Json(nullptr); }

// "iphone:42" -> 42; a scope whose id is not a number is shown as the text after the prefix.
Json scope_id(const std::string& scope, std::size_t prefix) {
  std::string_view id = std::string_view(scope).substr(std::min(prefix, scope.size()));
  if (!id.empty() && id.size() <= 9 && id.find_first_not_of("0123456789") == std::string_view::npos) {
    return std::stoll(std::string(id));
  }
  return std::string(id);
}

Response validation_failed(const FormErrors& e) { return json_response(400, e.to_json()); }

Json paginated(const std::string& base, const QueryParams& q, const PageRequest& page, std::uint64_t count,
               Json results) {
  auto next = next_link(base, q, page, count);
  auto previous = previous_link(base, q, page);
  return Json{{"count", count},
              {"next", next ? Json(*next) : Json(nullptr)},
              {"previous", previous ? Json(*previous) : Json(nullptr)},
              {"results", std::move(results)}};
}

std::vector<std::string> prefixed(const char* prefix, const std::vector<std::uint32_t>& ids) {
  std::vector<std::string> out;
  for (auto id : ids) out.push_back(fmt::format("{}{}", prefix, id));
  return out;
}

std::vector<std::string> prefixed(const char* prefix, const std::vector<std::string>& values) {
  std::vector<std::string> out;
  for (const auto& v : values) out.push_back(prefix + v);
  return out;
}

store::BarQuery bar_query(store::BarKind kind, const QueryParams& q, const TimeZone& zone, FormErrors& e) {
  store::BarQuery bq;
  bq.kind = kind;
  bq.run_id = run_id_param(q, e);
  if (kind == store::BarKind::kIphone) {
    if (auto ids = number_filter(q, "iphone", e)) bq.scope_in.push_back(prefixed("iphone:", *ids));
    if (auto ids = number_in_filter(q, "iphone__in", e)) bq.scope_in.push_back(prefixed("iphone:", *ids));
  } else {
    if (auto slug = char_filter(q, "cohort__slug", e)) bq.scope_in.push_back({"cohort:" + *slug});
    if (auto slugs = char_in_filter(q, "cohort__slug__in", e)) bq.scope_in.push_back(prefixed("cohort:", *slugs));
  }
  bq.bucket = bucket_bounds(q, "bucket__gte", "bucket__lte", zone, e);
  return bq;
}

store::FeatureQuery feature_query(const QueryParams& q, const TimeZone& zone, const std::vector<std::string>& names,
                                  FormErrors& e) {
  store::FeatureQuery fq;
  fq.run_id = run_id_param(q, e);
  if (auto scope = char_filter(q, "scope", e)) fq.scope_in.push_back({*scope});
  if (auto scopes = char_in_filter(q, "scope__in", e)) fq.scope_in.push_back(*scopes);
  auto name = choice_filter(q, "name", names, e);
  auto name_in = choice_in_filter(q, "name__in", names, e);
  for (const auto& n : names) {
    if (name && *name != n) continue;
    if (name_in && std::find(name_in->begin(), name_in->end(), n) == name_in->end()) continue;
    fq.names.push_back(n);
  }
  fq.bucket = bucket_bounds(q, "bucket__gte", "bucket__lte", zone, e);
  return fq;
}

store::PriceQuery price_query(const QueryParams& q, const TimeZone& zone, FormErrors& e) {
  store::PriceQuery pq;
  pq.run_id = run_id_param(q, e);
  if (auto ids = number_filter(q, "shop", e)) pq.shop_in.push_back(*ids);
  if (auto ids = number_in_filter(q, "shop__in", e)) pq.shop_in.push_back(*ids);
  if (auto ids = number_filter(q, "iphone", e)) pq.iphone_in.push_back(*ids);
  if (auto ids = number_in_filter(q, "iphone__in", e)) pq.iphone_in.push_back(*ids);
  pq.bucket = bucket_bounds(q, "Timestamp_Time__gte", "Timestamp_Time__lte", zone, e);
  return pq;
}

store::ShopHealthQuery shop_health_query(const QueryParams& q, const TimeZone& zone, FormErrors& e) {
  store::ShopHealthQuery hq;
  hq.run_id = run_id_param(q, e);
  if (auto ids = number_filter(q, "shop", e)) hq.shop_in.push_back(*ids);
  if (auto ids = number_in_filter(q, "shop__in", e)) hq.shop_in.push_back(*ids);
  hq.bucket = bucket_bounds(q, "bucket__gte", "bucket__lte", zone, e);
  return hq;
}

std::vector<store::OrderTerm> order_of(const QueryParams& q, store::ApiTable table,
                                       std::vector<store::OrderTerm> fallback) {
  return ordering_param(q, store::order_fields(table), fallback);
}

}  // namespace

Api::Api(ApiConfig config, ClickHousePool& pool, NameCache* names, Metrics& metrics)
    : config_(std::move(config)),
      pool_(pool),
      names_(names),
      metrics_(metrics),
      zone_(config_.pipeline.time_zone),
      feature_names_(store::feature_names(config_.pipeline.window_min)),
      tokens_(config_.tokens),
      cache_(kMaxCacheEntries, config_.cache_max_bytes, std::chrono::milliseconds(config_.cache_ms), kMaxStale) {
  routes_ = {
      {"/api/overall-bars/", {&Api::overall_bars, true, true}},
      {"/api/overall-bars/points/", {&Api::overall_points, true, true}},
      {"/api/cohort-bars/", {&Api::cohort_bars, true, true}},
      {"/api/cohort-bars/points/", {&Api::cohort_points, true, true}},
      {"/api/features/", {&Api::features, true, true}},
      {"/api/features/points/", {&Api::feature_points, true, true}},
      {"/api/purchasing-time-analyses/", {&Api::prices, true, true}},
      {"/api/purchasing-time-analyses/compact/", {&Api::prices_compact, true, true}},
      {"/api/runs/", {&Api::runs, true, true}},
      {"/api/iphones/", {&Api::iphones, true, true}},
      {"/api/cohorts/", {&Api::cohorts, true, true}},
      {"/api/runs/compare/", {&Api::compare, true, false}},
      {"/api/token/", {&Api::token_obtain, false, false, true}},
      {"/api/token/refresh/", {&Api::token_refresh, false, false, true}},
      {"/api/shop-health/", {&Api::shop_health, true, true}},
      {"/api/shop-health/findings/", {&Api::shop_health_findings, true, true}},
      {"/api/schema/", {&Api::schema_doc, false, false}},
      {"/healthz", {&Api::healthz, false, false}},
      {"/readyz", {&Api::readyz, false, false}},
      {"/metrics", {&Api::metrics, false, false}},
  };
  schema_ = openapi_document(feature_names_);
}

std::string Api::endpoint_of(const std::string& path) const {
  return routes_.count(path) ? path : std::string("unmatched");
}

Response Api::handle(const Request& request) {
  if (is_ui_path(request.path)) return ui(request);
  auto it = routes_.find(request.path);
  if (it == routes_.end()) {
    // Django's APPEND_SLASH: a known path without its trailing slash is redirected, query kept.
    if (!request.path.empty() && request.path.back() != '/' && routes_.count(request.path + "/")) {
      Response r{301, "", nullptr, "text/html; charset=utf-8", {}};
      r.headers.emplace_back("Location",
                             request.path + "/" + (request.raw_query.empty() ? "" : "?" + request.raw_query));
      return r;
    }
    return detail(404, "Not found.");
  }
  Response r = dispatch(it->second, request);
  // DRF's APIView names the allowed methods on every response, errors and 401s included.
  if (it->second.post) {
    r.headers.emplace_back("Allow", "POST, OPTIONS");
  } else if (it->second.needs_auth) {
    r.headers.emplace_back("Allow", "GET, HEAD, OPTIONS");
  }
  return r;
}

Response Api::dispatch(const Route& route, const Request& request) {
  if (route.needs_auth && config_.auth) {
    auto outcome = authenticate_bearer(request.authorization, config_.jwt_secret,
                                       std::chrono::duration_cast<std::chrono::seconds>(
                                           std::chrono::system_clock::now().time_since_epoch())
                                           .count());
    if (outcome.kind != AuthOutcome::Kind::kAuthenticated) {
      Response r = outcome.kind == AuthOutcome::Kind::kRejected
                       ? json_response(401, outcome.body)
                       : detail(401, "Authentication credentials were not provided.");
      r.headers.emplace_back("WWW-Authenticate", std::string(kWwwAuthenticate));
      return r;
    }
  }
  if (request.method == "OPTIONS") {
    return json_response(200, Json{{"name", request.path}, {"renders", {"application/json"}}});
  }
  if (route.post) {
    if (request.method != "POST") return detail(405, fmt::format("Method \"{}\" not allowed.", request.method));
    return compute(route, request, "");
  }
  if (request.method != "GET" && request.method != "HEAD") {
    return detail(405, fmt::format("Method \"{}\" not allowed.", request.method));
  }
  std::string key;
  if (route.cacheable && config_.cache_ms > 0) {
    key = request.origin + "\n" + request.path + "?" + request.raw_query;
    auto hit = cache_.find(key);
    if (hit.value) {
      metrics_.cache(true);
      if (hit.refresh) {
        // Answer now with the previous answer; the refresh queries ClickHouse on the worker thread.
        refresher_.post([this, route, request, key] { compute(route, request, key); });
      }
      return std::move(*hit.value);
    }
    metrics_.cache(false);
    return compute_once(route, request, key);
  }
  return compute(route, request, key);
}

Response Api::compute_once(const Route& route, const Request& request, const std::string& key) {
  std::promise<Response> answer;
  {
    std::unique_lock lock(computing_mutex_);
    if (auto it = computing_.find(key); it != computing_.end()) {
      std::shared_future<Response> pending = it->second;
      lock.unlock();
      return pending.get();
    }
    computing_.emplace(key, answer.get_future().share());
  }
  auto done = [&] {
    std::lock_guard lock(computing_mutex_);
    computing_.erase(key);
  };
  try {
    Response r = compute(route, request, key);
    done();
    answer.set_value(r);
    return r;
  } catch (...) {
    done();
    answer.set_exception(std::current_exception());
    throw;
  }
}

Response Api::compute(const Route& route, const Request& request, const std::string& key) {
  Call call{request, QueryParams::parse(request.raw_query), request.origin + request.path, clock::now_seconds()};
  // Whatever happens below, a refresh this request took on is released.
  struct RefreshGuard {
    Api* api;
    const std::string& key;
    bool done = false;
    ~RefreshGuard() {
      if (!done && !key.empty()) api->cache_.release_refresh(key);
    }
  } guard{this, key};
  try {
    Response r = (this->*route.handler)(call);
    if (!key.empty() && r.status == 200) {
      r.shared_body = std::make_shared<const SharedBody>(std::move(r.body));
      r.body.clear();
      cache_.put(key, r);
      guard.done = true;
    }
    return r;
  } catch (const clickhouse::ServerError& e) {
    if (clickhouse::is_transient(e)) {
      // Overloaded, out of memory, timed out, lost its network: the same request may succeed later.
      metrics_.clickhouse_error("transient");
      spdlog::warn("{} {}: ClickHouse: {}", request.method, request.path, e.what());
      return detail(503, kUnavailable);
    }
    // The server refused the query itself (syntax, unknown table or column): a bug or a schema that
    // does not match, which asking again cannot fix. Logged without the request's query string, which
    // may carry whatever a client sent.
    metrics_.clickhouse_error("query");
    spdlog::error("{} {}: ClickHouse refused the query: {} code {}: {}", request.method, request.path,
                  e.name(), e.code(), first_line(e.message()));
    return json_response(500, Json{{"error", "Server Error (500)"}});
  } catch (const UnavailableError& e) {
    metrics_.clickhouse_error("unavailable");
    spdlog::warn("{} {}: {}", request.method, request.path, e.what());
    return detail(503, kUnavailable);
  } catch (const std::exception& e) {
    spdlog::error("{} {}: {}", request.method, request.path, e.what());
    return json_response(500, Json{{"error", "Server Error (500)"}});
  }
}

Api::BarPage Api::load_bars(const Call& c, const store::BarQuery& q) {
  BarPage p{page_param(c.params), 0, {}};
  pool_.run([&](clickhouse::Client& ch) {
    p.count = store::count_bars(ch, config_.database, q);
    if (p.count > 0 && p.page.offset <= p.count) {
      p.rows = store::select_bars(ch, config_.database, q, p.page.limit, p.page.offset);
    }
  });
  return p;
}

std::optional<std::vector<store::BarRow>> Api::load_points(const store::BarQuery& q) {
  std::vector<store::BarRow> rows;
  pool_.run([&](clickhouse::Client& ch) { rows = store::select_bars(ch, config_.database, q, kMaxPoints + 1, 0); });
  if (rows.size() > kMaxPoints) return std::nullopt;
  return rows;
}

namespace {

// One bar's fields in the order DRF renders them (SPEC §10). The points endpoints have one column per
// field; the list endpoints one object per bar, with is_final and updated_at after these.
std::vector<std::pair<const char*, Json>> bar_fields(const store::BarRow& r, store::BarKind kind,
                                                     const TimeZone& zone) {
  const bool iphone = kind == store::BarKind::kIphone;
  std::vector<std::pair<const char*, Json>> f;
  f.emplace_back("bucket", format_iso(r.bucket, zone));
  if (iphone) {
    f.emplace_back("iphone", scope_id(r.scope, 7));
  } else {
    f.emplace_back("cohort", r.scope.substr(std::min<std::size_t>(7, r.scope.size())));
  }
  f.emplace_back("mean", finite(r.mean));
  f.emplace_back("median", finite(r.median));
  f.emplace_back("std", number_or_null(r.std));
  if (iphone) {
    f.emplace_back("shop_count", r.shop_count);
  } else {
    f.emplace_back("n_models", r.n_models);
    f.emplace_back("shop_count_agg", r.shop_count);
  }
  f.emplace_back("dispersion", number_or_null(r.dispersion));
  return f;
}

}  // namespace

Response Api::overall_bars(const Call& c) { return bars(c, store::BarKind::kIphone); }
Response Api::overall_points(const Call& c) { return bar_points(c, store::BarKind::kIphone); }
Response Api::cohort_bars(const Call& c) { return bars(c, store::BarKind::kCohort); }
Response Api::cohort_points(const Call& c) { return bar_points(c, store::BarKind::kCohort); }

Response Api::bars(const Call& c, store::BarKind kind) {
  FormErrors e;
  auto q = bar_query(kind, c.params, zone_, e);
  if (!e.empty()) return validation_failed(e);
  q.order = kind == store::BarKind::kIphone
                ? order_of(c.params, store::ApiTable::kOverallBars, {{"bucket", false}, {"iphone", false}})
                : order_of(c.params, store::ApiTable::kCohortBars, {{"bucket", false}, {"cohort", false}});
  auto [page, count, rows] = load_bars(c, q);
  Json results = Json::array();
  for (const auto& r : rows) {
    Json item = Json::object();
    for (auto& [name, value] : bar_fields(r, kind, zone_)) item[name] = std::move(value);
    item["is_final"] = r.bucket <= c.now - kFinalAfter;
    item["updated_at"] = format_iso(r.inserted_at, zone_);
    results.push_back(std::move(item));
  }
  return json_response(200, paginated(c.base_url, c.params, page, count, std::move(results)));
}

Response Api::bar_points(const Call& c, store::BarKind kind) {
  FormErrors e;
  auto q = bar_query(kind, c.params, zone_, e);
  if (!e.empty()) return validation_failed(e);
  auto points = load_points(q);
  if (!points) return detail(400, fmt::format("More than {} points match; narrow the filters.", kMaxPoints));
  const auto& rows = *points;
  // The column names come from an empty bar, so that no rows still give every column.
  const auto names = bar_fields(store::BarRow{}, kind, zone_);
  std::vector<Json> columns(names.size(), Json::array());
  for (const auto& r : rows) {
    auto fields = bar_fields(r, kind, zone_);
    for (std::size_t i = 0; i < fields.size(); ++i) columns[i].push_back(std::move(fields[i].second));
  }
  Json out = Json::object();
  out["count"] = rows.size();
  for (std::size_t i = 0; i < names.size(); ++i) out[names[i].first] = std::move(columns[i]);
  return json_response(200, std::move(out));
}

Response Api::features(const Call& c) {
  FormErrors e;
  auto q = feature_query(c.params, zone_, feature_names_, e);
  if (!e.empty()) return validation_failed(e);
  q.order = order_of(c.params, store::ApiTable::kFeatures, {{"bucket", false}, {"scope", false}, {"name", false}});
  auto page = page_param(c.params);
  std::uint64_t count = 0;
  std::vector<store::FeatureRow> rows;
  if (!q.names.empty()) {
    pool_.run([&](clickhouse::Client& ch) {
      count = store::count_features(ch, config_.database, q);
      if (count > 0 && page.offset <= count) {
        rows = store::select_features(ch, config_.database, q, page.limit, page.offset);
      }
    });
  }
  Json results = Json::array();
  for (const auto& r : rows) {
    results.push_back(Json{{"bucket", format_iso(r.bucket, zone_)},
                           {"scope", r.scope},
                           {"name", r.name},
                           {"value", number_or_null(r.value)},
                           {"version", q.run_id},
                           {"is_final", r.bucket <= c.now - kFinalAfter}});
  }
  return json_response(200, paginated(c.base_url, c.params, page, count, std::move(results)));
}

Response Api::feature_points(const Call& c) {
  FormErrors e;
  auto q = feature_query(c.params, zone_, feature_names_, e);
  if (!e.empty()) return validation_failed(e);
  std::vector<store::FeatureRow> rows;
  if (!q.names.empty()) {
    pool_.run(
        [&](clickhouse::Client& ch) { rows = store::select_features(ch, config_.database, q, kMaxPoints + 1, 0); });
  }
  if (rows.size() > kMaxPoints) {
    return detail(400, fmt::format("More than {} points match; narrow the filters.", kMaxPoints));
  }
  Json bucket = Json::array(), scope = Json::array(), name = Json::array(), value = Json::array();
  for (const auto& r : rows) {
    bucket.push_back(format_iso(r.bucket, zone_));
    scope.push_back(r.scope);
    name.push_back(r.name);
    value.push_back(number_or_null(r.value));
  }
  return json_response(200, Json{{"count", rows.size()},
                                 {"version", q.run_id},
                                 {"bucket", std::move(bucket)},
                                 {"scope", std::move(scope)},
                                 {"name", std::move(name)},
                                 {"value", std::move(value)}});
}

Api::PricePage Api::load_prices(const Call& c, store::PriceQuery& q) {
  q.order = order_of(c.params, store::ApiTable::kPrices, {{"Timestamp_Time", true}, {"shop", false}, {"iphone", false}});
  PricePage p{page_param(c.params), 0, {}, nullptr};
  pool_.run([&](clickhouse::Client& ch) {
    p.count = store::count_prices(ch, config_.database, q);
    if (p.count > 0 && p.page.offset <= p.count) {
      p.rows = store::select_prices(ch, config_.database, q, p.page.limit, p.page.offset);
    }
  });
  std::vector<std::uint32_t> shop_ids, iphone_ids;
  for (const auto& r : p.rows) {
    shop_ids.push_back(r.shop_id);
    iphone_ids.push_back(r.iphone_id);
  }
  if (!p.rows.empty()) {
    if (names_ == nullptr) throw UnavailableError("no PostgreSQL configured for shop and iPhone names");
    p.names = names_->get(shop_ids, iphone_ids);
  }
  return p;
}

Response Api::prices(const Call& c) {
  FormErrors e;
  auto q = price_query(c.params, zone_, e);
  if (!e.empty()) return validation_failed(e);
  PricePage p = load_prices(c, q);
  auto opt = [](const std::optional<std::uint32_t>& v) { return v ? Json(*v) : Json(nullptr); };
  const auto& names = p.names;
  Json results = Json::array();
  for (const auto& r : p.rows) {
    auto shop = names->shops.find(r.shop_id);
    auto iphone = names->iphones.find(r.iphone_id);
    bool known = iphone != names->iphones.end();
    results.push_back(Json{
        {"shop", Json{{"id", r.shop_id}, {"name", shop != names->shops.end() ? Json(shop->second) : Json(nullptr)}}},
        {"iphone", Json{{"id", r.iphone_id},
                        {"part_number", known ? Json(iphone->second.part_number) : Json(nullptr)},
                        {"model_name", known ? Json(iphone->second.model_name) : Json(nullptr)},
                        {"capacity_gb", known ? Json(iphone->second.capacity_gb) : Json(nullptr)},
                        {"color", known ? Json(iphone->second.color) : Json(nullptr)}}},
        {"prices", Json{{"new", r.price_new}, {"a", opt(r.price_a)}, {"b", opt(r.price_b)}}},
        {"timestamps", Json{{"bucket", format_iso(r.bucket, zone_)},
                            {"record_time", format_iso(r.record_time, zone_)},
                            {"alignment_diff_sec", r.alignment_diff_sec}}}});
  }
  return json_response(200, paginated(c.base_url, c.params, p.page, p.count, std::move(results)));
}

Response Api::prices_compact(const Call& c) {
  FormErrors e;
  auto q = price_query(c.params, zone_, e);
  if (!e.empty()) return validation_failed(e);
  PricePage p = load_prices(c, q);
  auto opt = [](const std::optional<std::uint32_t>& v) { return v ? Json(*v) : Json(nullptr); };
  const auto& names = p.names;
  Json results = Json::array();
  for (const auto& r : p.rows) {
    auto shop = names->shops.find(r.shop_id);
    auto iphone = names->iphones.find(r.iphone_id);
    results.push_back(Json{
        {"bucket", format_iso(r.bucket, zone_)},
        {"shop_id", r.shop_id},
        {"shop_name", shop != names->shops.end() ? Json(shop->second) : Json(nullptr)},
        {"iphone_id", r.iphone_id},
        {"part_number", iphone != names->iphones.end() ? Json(iphone->second.part_number) : Json(nullptr)},
        {"price_new", r.price_new},
        {"price_a", opt(r.price_a)},
        {"price_b", opt(r.price_b)}});
  }
  return json_response(200, paginated(c.base_url, c.params, p.page, p.count, std::move(results)));
}

Response Api::runs(const Call& c) {
  auto page = page_param(c.params);
  nlohmann::json all;
  pool_.run([&](clickhouse::Client& ch) {
    store::RunStore store(ch, config_.database, config_.pipeline);
    all = store::runs_json(store.list_runs(), zone_);
  });
  Json results = Json::array();
  for (std::uint64_t i = page.offset; i < all.size() && i < page.offset + page.limit; ++i) {
    results.push_back(Json::parse(all[i].dump()));
  }
  return json_response(200, paginated(c.base_url, c.params, page, all.size(), std::move(results)));
}

Response Api::iphones(const Call& c) {
  auto page = page_param(c.params);
  if (names_ == nullptr) throw UnavailableError("no PostgreSQL configured for iPhone names");
  auto names = names_->get({}, {});
  std::vector<const store::IphoneInfo*> all;
  for (const auto& [id, info] : names->iphones) all.push_back(&info);
  std::sort(all.begin(), all.end(), [](const auto* a, const auto* b) { return a->id < b->id; });
  Json results = Json::array();
  for (std::uint64_t i = page.offset; i < all.size() && i < page.offset + page.limit; ++i) {
    const auto& p = *all[i];
    results.push_back(Json{{"id", p.id},
                           {"part_number", p.part_number},
                           {"model_name", p.model_name},
                           {"capacity_gb", p.capacity_gb},
                           {"color", p.color}});
  }
  return json_response(200, paginated(c.base_url, c.params, page, all.size(), std::move(results)));
}

Response Api::cohorts(const Call& c) {
  auto page = page_param(c.params);
  if (names_ == nullptr) throw UnavailableError("no PostgreSQL configured for cohorts");
  auto names = names_->get({}, {});
  const auto& all = names->cohorts;
  Json results = Json::array();
  for (std::uint64_t i = page.offset; i < all.size() && i < page.offset + page.limit; ++i) {
    results.push_back(Json{{"slug", all[i].slug}, {"title", all[i].title}, {"members", all[i].members}});
  }
  return json_response(200, paginated(c.base_url, c.params, page, all.size(), std::move(results)));
}

Response Api::ui(const Request& request) const {
  if (request.method != "GET" && request.method != "HEAD") {
    return detail(405, fmt::format("Method \"{}\" not allowed.", request.method));
  }
  const UiFile* file = ui_file(request.path);
  if (file == nullptr) return detail(404, "Not found.");
  Response r{200, "", file->body, file->content_type, {}};
  // Revalidated on every load, so a new binary's page is never mixed with an old script; the page
  // loads only its own files and talks only to this server.
  r.headers.emplace_back("Cache-Control", "no-cache");
  r.headers.emplace_back("X-Content-Type-Options", "nosniff");
  r.headers.emplace_back("Content-Security-Policy",
                         "default-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; "
                         "frame-ancestors 'none'");
  return r;
}

Response Api::compare(const Call& c) {
  FormErrors e;
  auto required = [&](const char* name) -> std::optional<std::string> {
    auto v = c.params.get(name);
    if (!v || v->empty()) {
      e.add(name, "This field is required.");
      return std::nullopt;
    }
    return std::string(*v);
  };
  auto run = [&](const char* name) -> std::string {
    auto v = required(name);
    if (!v) return {};
    if (!store::is_valid_run_id(*v)) e.add(name, std::string(kInvalidRunId));
    return *v;
  };
  std::string base = run("base");
  std::string target = run("target");
  auto scope = required("scope");
  if (scope && scope->size() > 200) e.add("scope", "Ensure this field has no more than 200 characters.");
  const BucketGrid grid(zone_, config_.pipeline.interval_min);
  // --from/--to as compare_runs reads them: a date is the whole day, YYYY-MM-DDTHH:MM one bucket.
  auto bound = [&](const char* name, bool first) -> std::optional<EpochSeconds> {
    auto v = required(name);
    if (!v) return std::nullopt;
    try {
      auto range = parse_bucket_range(*v, *v, grid);
      return first ? range.first : range.last;
    } catch (const InputError&) {
      e.add(name, "Enter a date (YYYY-MM-DD) or a bucket on the grid (YYYY-MM-DDTHH:MM).");
      return std::nullopt;
    }
  };
  auto from = bound("from", true);
  auto to = bound("to", false);
  if (from && to) {
    if (*from > *to) {
      e.add("to", "Must not be before from.");
    } else if (*to - *from >= static_cast<EpochSeconds>(config_.compare_max_days) * 86400) {
      e.add("to", fmt::format("The range may span at most {} days (API_COMPARE_MAX_DAYS).", config_.compare_max_days));
    }
  }
  double tolerance = 1e-9;
  if (auto t = c.params.get("tolerance"); t && !t->empty()) {
    try {
      std::size_t used = 0;
      tolerance = std::stod(std::string(*t), &used);
      if (used != t->size() || !(tolerance >= 0) || !std::isfinite(tolerance)) throw std::invalid_argument("");
    } catch (const std::exception&) {
      e.add("tolerance", "Enter a number >= 0.");
    }
  }
  if (!e.empty()) return validation_failed(e);
  store::CompareOptions options;
  options.base = base;
  options.target = target;
  options.tolerance = tolerance;
  options.from = from;
  options.to = to;
  options.scopes = {*scope};
  // One scope's rows are a small part of each month: one statement for the whole range.
  options.one_statement = true;
  nlohmann::json result;
  try {
    pool_.run([&](clickhouse::Client& ch) {
      result = store::comparison_json(store::compare_runs(ch, config_.database, options, zone_), zone_);
    });
  } catch (const store::UnknownRunError& err) {
    return detail(404, err.what());
  } catch (const InputError& err) {
    return detail(400, err.what());
  }
  return json_response(200, Json::parse(result.dump()));
}

namespace {

auth::TokenRequest token_request(const Request& request) {
  return auth::TokenRequest{request.content_type, request.body, request.multipart, request.client_address};
}

template <typename Answer>
Response token_response(Answer a) {
  Response r = json_response(a.status, a.body);
  r.headers = std::move(a.headers);
  return r;
}

}  // namespace

Response Api::token_obtain(const Call& c) { return token_response(tokens_.obtain_pair(token_request(c.request))); }

Response Api::token_refresh(const Call& c) { return token_response(tokens_.refresh(token_request(c.request))); }

Response Api::shop_health(const Call& c) {
  FormErrors e;
  auto q = shop_health_query(c.params, zone_, e);
  if (!e.empty()) return validation_failed(e);
  q.order = order_of(c.params, store::ApiTable::kShopHealth, {{"bucket", false}, {"shop", false}});
  auto page = page_param(c.params);
  std::uint64_t count = 0;
  std::vector<store::ShopHealthApiRow> rows;
  pool_.run([&](clickhouse::Client& ch) {
    count = store::count_shop_health(ch, config_.database, q);
    if (count > 0 && page.offset <= count) rows = store::select_shop_health(ch, config_.database, q, page.limit, page.offset);
  });
  Json results = Json::array();
  for (const auto& r : rows) {
    results.push_back(Json{
        {"bucket", format_iso(r.bucket, zone_)},
        {"shop", r.shop_id},
        {"buckets", r.buckets},
        {"records_read", r.records_read},
        {"invalid_prices", r.invalid_prices},
        {"cells", r.cells},
        {"above_band", r.above_band},
        {"below_band", r.below_band},
        {"filtered_share", r.cells > 0 ? Json(static_cast<double>(r.above_band + r.below_band) / static_cast<double>(r.cells))
                                       : Json(nullptr)},
        {"iphones", r.iphones},
        {"last_recorded_at", r.last_recorded_at ? Json(format_iso(*r.last_recorded_at, zone_)) : Json(nullptr)},
        {"price_ratio_median", number_or_null(r.price_ratio_median)},
        {"version", q.run_id},
        {"updated_at", format_iso(r.updated_at, zone_)}});
  }
  return json_response(200, paginated(c.base_url, c.params, page, count, std::move(results)));
}

namespace {

std::string trimmed(std::string_view v) {
  auto first = v.find_first_not_of(" \t\r\n");
  if (first == std::string_view::npos) return {};
  return std::string(v.substr(first, v.find_last_not_of(" \t\r\n") - first + 1));
}

// The newest bucket of a run (its features_wide), nullopt for a run without rows.
std::optional<EpochSeconds> run_last_bucket(clickhouse::Client& ch, const std::string& database,
                                            const std::string& run_id) {
  auto value = ch.select_value(store::select_last_bucket_sql(database, run_id));
  if (!value || *value == "0" || value->empty()) return std::nullopt;
  return static_cast<EpochSeconds>(std::stoll(*value));
}

}  // namespace

Response Api::shop_health_findings(const Call& c) {
  FormErrors e;
  const std::string run_id = run_id_param(c.params, e);
  store::HealthThresholds limits = config_.health;
  // A threshold given in the query replaces the server's setting for this answer.
  auto number = [&](const char* name, double min, double max, bool whole) -> std::optional<double> {
    auto v = c.params.get(name);
    if (!v || trimmed(*v).empty()) return std::nullopt;
    std::string text = trimmed(*v);
    try {
      std::size_t used = 0;
      double x = std::stod(text, &used);
      if (used != text.size() || !std::isfinite(x) || x < min || x > max || (whole && x != std::floor(x))) {
        throw std::invalid_argument(text);
      }
      return x + 0.0;  // -0 as 0
    } catch (const std::exception&) {
      e.add(name, whole ? fmt::format("Enter a whole number between {} and {}.", min, max)
                        : fmt::format("Enter a number between {} and {}.", min, max));
      return std::nullopt;
    }
  };
  if (auto x = number("silent_buckets", 1, store::HealthThresholds::kMaxSilentBuckets, true)) {
    limits.silent_buckets = static_cast<int>(*x);
  }
  if (auto x = number("filtered_share", 0, 1, false)) limits.filtered_share = *x;
  if (auto x = number("ratio_drift", 0, store::HealthThresholds::kMaxRatioDrift, false)) limits.ratio_drift = *x;
  if (auto x = number("coverage_drop", 0, 1, false)) limits.coverage_drop = *x;
  std::optional<EpochSeconds> at;
  if (auto v = c.params.get("at"); v && !trimmed(*v).empty()) {
    if (auto t = parse_datetime(*v, zone_)) {
      at = t->seconds;
    } else {
      e.add("at", std::string(kInvalidDateTime));
    }
  }
  if (!e.empty()) return validation_failed(e);
  const BucketGrid grid(zone_, config_.pipeline.interval_min);
  std::optional<EpochSeconds> last;
  std::vector<store::Finding> findings;
  EpochSeconds when = 0;
  pool_.run([&](clickhouse::Client& ch) {
    last = run_last_bucket(ch, config_.database, run_id);
    if (!last) return;
    // At `at` (floored to the grid), or at the run's last bucket when `at` is later or not given.
    when = at ? std::min(*last, grid.floor(*at)) : *last;
    findings = store::evaluate_findings(store::load_shop_states(ch, config_.database, run_id, when, grid), limits,
                                        when, grid);
  });
  if (!last) return detail(404, fmt::format("Run \"{}\" has no rows.", run_id));
  Json results = Json::array();
  for (const auto& f : findings) {
    results.push_back(Json{{"shop", f.shop_id},
                           {"kind", std::string(store::finding_kind_name(f.kind))},
                           {"value", finite(f.value)},
                           {"text", f.text}});
  }
  return json_response(200, Json{{"run_id", run_id},
                                 {"at", format_iso(when, zone_)},
                                 {"thresholds", Json{{"silent_buckets", limits.silent_buckets},
                                                     {"filtered_share", limits.filtered_share},
                                                     {"ratio_drift", limits.ratio_drift},
                                                     {"coverage_drop", limits.coverage_drop}}},
                                 {"count", findings.size()},
                                 {"results", std::move(results)}});
}

Response Api::healthz(const Call&) { return json_response(200, Json{{"status", "ok"}}); }

Response Api::readyz(const Call&) {
  if (pool_.ping()) return json_response(200, Json{{"status", "ready"}, {"clickhouse", "ok"}});
  metrics_.clickhouse_error("unavailable");
  return json_response(503, Json{{"detail", "ClickHouse is unreachable."}, {"clickhouse", "unreachable"}});
}

void Api::refresh_shop_gauges() {
  std::vector<store::ShopGauge> fresh;
  std::vector<store::Finding> findings;
  std::vector<std::pair<std::uint32_t, double>> coverage;
  bool ok = true;
  try {
    clickhouse::ClientOptions options = pool_.client_options();
    options.connect_timeout = std::min(options.connect_timeout, std::chrono::milliseconds(1000));
    options.io_timeout = std::min(options.io_timeout, std::chrono::milliseconds(5000));
    clickhouse::Client client(options);
    fresh = store::select_shop_gauges(client, config_.database, "live");
    // The findings of `ypa schedule` at live's last bucket, with the server's thresholds.
    if (auto last = run_last_bucket(client, config_.database, "live")) {
      const BucketGrid grid(zone_, config_.pipeline.interval_min);
      auto states = store::load_shop_states(client, config_.database, "live", *last, grid);
      findings = store::evaluate_findings(states, config_.health, *last, grid);
      for (const auto& s : states) {
        if (const double value = store::coverage_of(s); std::isfinite(value)) coverage.emplace_back(s.shop_id, value);
      }
    }
  } catch (const std::exception& e) {
    ok = false;  // no gauges rather than old ones: a stale "seconds since" would look healthy
    spdlog::warn("/metrics: shop gauges not refreshed: {}", e.what());
  }
  std::lock_guard lock(gauges_mutex_);
  gauges_ = ok ? std::move(fresh) : std::vector<store::ShopGauge>{};
  gauge_findings_ = ok ? std::move(findings) : std::vector<store::Finding>{};
  coverage_ = ok ? std::move(coverage) : std::vector<std::pair<std::uint32_t, double>>{};
  gauges_busy_ = false;
}

Response Api::metrics(const Call& c) {
  constexpr auto kGaugeRefresh = std::chrono::seconds(10);
  std::string text = metrics_.render(pool_.stats(), cache_.size(), cache_.bytes());
  std::vector<store::ShopGauge> gauges;
  std::vector<store::Finding> findings;
  std::vector<std::pair<std::uint32_t, double>> coverage;
  {
    std::lock_guard lock(gauges_mutex_);
    gauges = gauges_;
    findings = gauge_findings_;
    coverage = coverage_;
    auto now = std::chrono::steady_clock::now();
    if (!gauges_busy_ && (gauges_asked_ == std::chrono::steady_clock::time_point{} || now - gauges_asked_ >= kGaugeRefresh)) {
      gauges_busy_ = true;
      gauges_asked_ = now;
      gauge_worker_.post([this] { refresh_shop_gauges(); });
    }
  }
  text += "# HELP ypa_shop_seconds_since_last_record Seconds since the latest source record of the shop in the live run's shop_health.\n";
  text += "# TYPE ypa_shop_seconds_since_last_record gauge\n";
  for (const auto& g : gauges) {
    if (!g.last_recorded_at) continue;
    text += fmt::format("ypa_shop_seconds_since_last_record{{shop=\"{}\"}} {}\n", g.shop_id,
                        c.now - static_cast<EpochSeconds>(*g.last_recorded_at));
  }
  text += "# HELP ypa_shop_filtered_share Share of the shop's cells outside the outlier band in its latest hour of the live run.\n";
  text += "# TYPE ypa_shop_filtered_share gauge\n";
  for (const auto& g : gauges) {
    if (g.cells == 0) continue;
    text += fmt::format("ypa_shop_filtered_share{{shop=\"{}\"}} {}\n", g.shop_id,
                        static_cast<double>(g.filtered) / static_cast<double>(g.cells));
  }
  text += "# HELP ypa_shop_coverage The shop's cells in the better of its last two scrapes in the live run's last three buckets (0 when the last two are empty) over its median cells per bucket in the 24 hours before.\n";
  text += "# TYPE ypa_shop_coverage gauge\n";
  for (const auto& [shop, value] : coverage) {
    text += fmt::format("ypa_shop_coverage{{shop=\"{}\"}} {}\n", shop, value);
  }
  text += "# HELP ypa_shop_finding 1 for each open finding of the shop at the live run's last bucket (kind: silent, filtered, ratio, coverage).\n";
  text += "# TYPE ypa_shop_finding gauge\n";
  for (const auto& f : findings) {
    text += fmt::format("ypa_shop_finding{{shop=\"{}\",kind=\"{}\"}} 1\n", f.shop_id, store::finding_kind_name(f.kind));
  }
  return Response{200, std::move(text), nullptr, "text/plain; version=0.0.4; charset=utf-8", {}};
}

Response Api::schema_doc(const Call&) {
  return Response{200, render_json(schema_), nullptr, "application/vnd.oai.openapi+json", {}};
}

}  // namespace ypa::http
