// The REST API of SPEC §10 as a function from request to response, independent of the HTTP server:
// routing, authentication, parameter validation, the response cache and JSON rendering. Data comes
// from store/ through the connection pool.
#pragma once

#include <chrono>
#include <future>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include <nlohmann/json.hpp>

#include "core/settings.hpp"
#include "core/time.hpp"
#include "http/auth/token_views.hpp"
#include "store/health_findings.hpp"
#include "http/background.hpp"
#include "http/encoding.hpp"
#include "http/form.hpp"
#include "http/metrics.hpp"
#include "http/names.hpp"
#include "http/pool.hpp"
#include "http/render.hpp"
#include "http/query_string.hpp"
#include "http/response_cache.hpp"
#include "store/api_queries.hpp"

namespace ypa::http {

struct Request {
  std::string method = "GET";
  std::string path;       // decoded, without the query
  std::string raw_query;  // as sent, without '?'
  // Where pagination links point and what the cache keys answers by: "http://" and the request's Host
  // header, already checked against the allowed hosts (or the listen address), or API_BASE_URL.
  std::string origin;
  std::optional<std::string> authorization;
  // POST bodies (the token endpoints): the Content-Type header, the body, multipart parts, the peer.
  std::optional<std::string> content_type;
  std::string body;
  std::vector<auth::FormPart> multipart;
  std::string client_address;
};

struct Response {
  int status = 200;
  std::string body;
  // Set instead of `body` for answers from the response cache: many requests share one large body.
  std::shared_ptr<const SharedBody> shared_body;
  std::string content_type = "application/json";
  std::vector<std::pair<std::string, std::string>> headers;
};

struct ApiConfig {
  std::string database;
  PipelineSettings pipeline;
  bool auth = true;
  std::string jwt_secret;
  int cache_ms = 1000;
  auth::TokenSettings tokens;  // secret and PostgreSQL of the token endpoints
  int compare_max_days = 366;
  store::HealthThresholds health;  // HEALTH_*: the findings' thresholds when a request names none
  std::size_t cache_max_bytes = std::size_t{64} << 20;  // ApiSettings::cache_max_mb, in bytes
};

// The bytes a cached answer holds: its body (the gzip form made for clients that accept it is not
// counted; JSON shrinks to about a tenth).
struct ResponseBytes {
  std::size_t operator()(const Response& r) const {
    return r.body.size() + (r.shared_body ? r.shared_body->plain().size() : 0);
  }
};

class Api {
 public:
  // `names` may be null: purchasing-time-analyses then answer 503.
  Api(ApiConfig config, ClickHousePool& pool, NameCache* names, Metrics& metrics);

  Response handle(const Request& request);
  // The route template for metrics ("/api/overall-bars/", "unmatched" for unknown paths).
  std::string endpoint_of(const std::string& path) const;
  // The OpenAPI 3 document served at /api/schema/.
  const nlohmann::ordered_json& schema() const { return schema_; }

 private:
  struct Call {
    const Request& request;
    QueryParams params;
    std::string base_url;  // origin and path, for pagination links
    EpochSeconds now;
  };
  using Handler = Response (Api::*)(const Call&);
  struct Route {
    Handler handler;
    bool needs_auth;
    bool cacheable;
    bool post = false;  // answers POST (and OPTIONS) instead of GET/HEAD
  };

  Response dispatch(const Route& route, const Request& request);
  // Runs the route's handler (auth already checked) and remembers a 200 answer under `key` when the
  // key is not empty; on any other outcome the key's refresh is released for a later request.
  Response compute(const Route& route, const Request& request, const std::string& key);
  Response overall_bars(const Call& c);
  Response overall_points(const Call& c);
  Response cohort_bars(const Call& c);
  Response cohort_points(const Call& c);
  // The bar endpoints of either kind: a page of bar objects, or every matching bar as columns.
  Response bars(const Call& c, store::BarKind kind);
  Response bar_points(const Call& c, store::BarKind kind);
  Response features(const Call& c);
  Response feature_points(const Call& c);
  // One page of bars and the total count (overall and cohort bars).
  struct BarPage {
    PageRequest page;
    std::uint64_t count = 0;
    std::vector<store::BarRow> rows;
  };
  BarPage load_bars(const Call& c, const store::BarQuery& q);
  // Every bar matching q for a points endpoint; nullopt when more than kMaxPoints match.
  std::optional<std::vector<store::BarRow>> load_points(const store::BarQuery& q);
  // One page of price_aligned rows with the shop and iPhone names they mention (both price endpoints).
  struct PricePage {
    PageRequest page;
    std::uint64_t count = 0;
    std::vector<store::PriceRow> rows;
    std::shared_ptr<const store::NameCatalog> names;
  };
  PricePage load_prices(const Call& c, store::PriceQuery& q);
  Response prices(const Call& c);
  Response prices_compact(const Call& c);
  Response runs(const Call& c);
  // The iPhones and cohorts of PostgreSQL, for the dashboard's search (read-only lists).
  Response iphones(const Call& c);
  Response cohorts(const Call& c);
  // The dashboard's files (`/`, `/ui/...`), no token needed.
  Response ui(const Request& request) const;
  // GET /api/runs/compare/: compare_runs for one scope and range (store/compare).
  Response compare(const Call& c);
  Response token_obtain(const Call& c);
  Response token_refresh(const Call& c);
  Response shop_health(const Call& c);
  // GET /api/shop-health/findings/: store::evaluate_findings on a run at its last bucket (or `at`).
  Response shop_health_findings(const Call& c);
  Response healthz(const Call& c);
  Response readyz(const Call& c);
  Response metrics(const Call& c);
  Response schema_doc(const Call& c);

  // The answer for a cacheable request the cache does not hold: one of the requests that miss at the
  // same time computes it, the others wait for that answer instead of each querying ClickHouse (a
  // cold chart opened by many clients at once costs one query, not one per client).
  Response compute_once(const Route& route, const Request& request, const std::string& key);

  ApiConfig config_;
  ClickHousePool& pool_;
  NameCache* names_;
  Metrics& metrics_;
  TimeZone zone_;
  std::vector<std::string> feature_names_;
  std::map<std::string, Route, std::less<>> routes_;
  nlohmann::ordered_json schema_;
  auth::TokenViews tokens_;

  // Answers of cacheable routes by host, path and query: served stale while one request refreshes
  // them in the background (a hit with `refresh` set posts that refresh).
  ResponseCache<Response, ResponseBytes> cache_;
  std::mutex computing_mutex_;
  std::map<std::string, std::shared_future<Response>, std::less<>> computing_;  // under computing_mutex_
  // The per-shop gauges of /metrics (docs/shop-health.md): read from the live run's shop_health by
  // gauge_worker_ on a connection of its own, at most every kGaugeRefresh, and served from here, so that
  // a scrape never waits for ClickHouse nor takes a connection of the pool.
  void refresh_shop_gauges();
  std::mutex gauges_mutex_;
  std::vector<store::ShopGauge> gauges_;                  // under gauges_mutex_
  std::vector<store::Finding> gauge_findings_;            // under gauges_mutex_: live's open findings
  std::vector<std::pair<std::uint32_t, double>> coverage_;  // under gauges_mutex_: live's coverage per shop
  std::chrono::steady_clock::time_point gauges_asked_{};  // under gauges_mutex_
  bool gauges_busy_ = false;                              // under gauges_mutex_

  // Refreshes expired answers, so that once a chart is cached no request waits for ClickHouse. Last
  // members: destroyed first, while what their tasks use still exists.
  BackgroundWorker refresher_;
  BackgroundWorker gauge_worker_;
};

// The OpenAPI document for the endpoints above (openapi.cpp).
nlohmann::ordered_json openapi_document(const std::vector<std::string>& feature_names);

}  // namespace ypa::http
