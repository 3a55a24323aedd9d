// The OpenAPI 3 document of the API, built from the same lists the handlers use (filters, ordering
// fields, feature names) so that it cannot drift from the responses.
#include <fmt/format.h>

#include "http/api.hpp"
#include "store/api_queries.hpp"

namespace ypa::http {
namespace {

using Json = nlohmann::ordered_json;

Json param(const std::string& name, Json schema, const std::string& description) {
  return Json{{"name", name}, {"in", "query"}, {"required", false}, {"description", description}, {"schema", schema}};
}

Json string_schema() { return Json{{"type", "string"}}; }
Json nullable(Json schema) {
  schema["nullable"] = true;
  return schema;
}
Json number() { return Json{{"type", "number"}, {"format", "double"}}; }
Json integer() { return Json{{"type", "integer"}}; }
Json date_time() { return Json{{"type", "string"}, {"format", "date-time"}}; }
Json array_of(Json items) { return Json{{"type", "array"}, {"items", std::move(items)}}; }

Json object(std::vector<std::pair<std::string, Json>> properties) {
  Json props = Json::object();
  Json required = Json::array();
  for (auto& [name, schema] : properties) {
    required.push_back(name);
    props[name] = std::move(schema);
  }
  return Json{{"type", "object"}, {"properties", props}, {"required", required}};
}

Json run_id_param() {
  return param("run_id", Json{{"type", "string"}, {"pattern", "^[A-Za-z0-9_]{1,64}$"}, {"default", "live"}},
               "The run to read (default live).");
}

Json id_params(const std::string& name, const std::string& what) {
  return Json::array({param(name, integer(), what + " id (exact)."),
                      param(name + "__in", string_schema(), "Comma-separated " + what + " ids.")});
}

Json range_params(const std::string& field) {
  return Json::array({param(field + "__gte", date_time(), "Bucket at or after (ISO 8601 or YYYY-MM-DD)."),
                      param(field + "__lte", date_time(), "Bucket at or before (ISO 8601 or YYYY-MM-DD).")});
}

Json page_params() {
  return Json::array({param("limit", Json{{"type", "integer"}, {"minimum", 1}, {"maximum", 10000}, {"default", 100}},
                            "Results per page."),
                      param("offset", Json{{"type", "integer"}, {"minimum", 0}, {"default", 0}},
                            "Index of the first result.")});
}

Json ordering_param(store::ApiTable table) {
  std::string fields;
  for (const auto& f : store::order_fields(table)) fields += (fields.empty() ? "" : ", ") + f;
  return param("ordering", string_schema(), "Comma-separated fields, '-' for descending: " + fields + ".");
}

Json concat(std::initializer_list<Json> lists) {
  Json out = Json::array();
  for (const auto& l : lists) {
    if (l.is_array()) {
      for (const auto& x : l) out.push_back(x);
    } else {
      out.push_back(l);
    }
  }
  return out;
}

Json paginated(Json item) {
  return object({{"count", integer()},
                 {"next", nullable(Json{{"type", "string"}, {"format", "uri"}})},
                 {"previous", nullable(Json{{"type", "string"}, {"format", "uri"}})},
                 {"results", array_of(std::move(item))}});
}

Json error_responses(bool with_auth) {
  Json errors = Json::object();
  errors["400"] = Json{{"description", "A parameter is invalid: {\"param\": [\"message\"]}."},
                       {"content", {{"application/json", {{"schema", {{"type", "object"}}}}}}}};
  if (with_auth) {
    errors["401"] = Json{{"description", "No valid access token (simplejwt's bodies)."},
                         {"content", {{"application/json", {{"schema", {{"type", "object"}}}}}}}};
  }
  errors["503"] = Json{{"description", "ClickHouse (or PostgreSQL for names) is unreachable."},
                       {"content", {{"application/json", {{"schema", object({{"detail", string_schema()}})}}}}}};
  return errors;
}

Json operation(const std::string& summary, Json parameters, Json ok_schema, bool with_auth = true) {
  Json responses = Json::object();
  responses["200"] = Json{{"description", "OK"}, {"content", {{"application/json", {{"schema", ok_schema}}}}}};
  const Json errors = error_responses(with_auth);
  for (auto it = errors.begin(); it != errors.end(); ++it) responses[it.key()] = it.value();
  Json op{{"summary", summary}, {"parameters", std::move(parameters)}, {"responses", std::move(responses)}};
  if (!with_auth) op["security"] = Json::array();
  return Json{{"get", std::move(op)}};
}

}  // namespace

nlohmann::ordered_json openapi_document(const std::vector<std::string>& feature_names) {
  Json overall_item = object({{"bucket", date_time()},
                              {"iphone", integer()},
                              {"mean", nullable(number())},
                              {"median", nullable(number())},
                              {"std", nullable(number())},
                              {"shop_count", integer()},
                              {"dispersion", nullable(number())},
                              {"is_final", Json{{"type", "boolean"}}},
                              {"updated_at", date_time()}});
  Json cohort_item = object({{"bucket", date_time()},
                             {"cohort", string_schema()},
                             {"mean", nullable(number())},
                             {"median", nullable(number())},
                             {"std", nullable(number())},
                             {"n_models", integer()},
                             {"shop_count_agg", integer()},
                             {"dispersion", nullable(number())},
                             {"is_final", Json{{"type", "boolean"}}},
                             {"updated_at", date_time()}});
  Json feature_item = object({{"bucket", date_time()},
                              {"scope", string_schema()},
                              {"name", Json{{"type", "string"}, {"enum", feature_names}}},
                              {"value", nullable(number())},
                              {"version", string_schema()},
                              {"is_final", Json{{"type", "boolean"}}}});
  Json nullable_int = nullable(integer());
  Json nullable_string = nullable(string_schema());
  Json price_item =
      object({{"shop", object({{"id", integer()}, {"name", nullable_string}})},
              {"iphone", object({{"id", integer()},
                                 {"part_number", nullable_string},
                                 {"model_name", nullable_string},
                                 {"capacity_gb", nullable_int},
                                 {"color", nullable_string}})},
              {"prices", object({{"new", integer()}, {"a", nullable_int}, {"b", nullable_int}})},
              {"timestamps",
               object({{"bucket", date_time()}, {"record_time", date_time()}, {"alignment_diff_sec", integer()}})}});
  Json compact_item = object({{"bucket", date_time()},
                              {"shop_id", integer()},
                              {"shop_name", nullable_string},
                              {"iphone_id", integer()},
                              {"part_number", nullable_string},
                              {"price_new", integer()},
                              {"price_a", nullable_int},
                              {"price_b", nullable_int}});
  Json overall_points = object({{"count", integer()},
                                {"bucket", array_of(date_time())},
                                {"iphone", array_of(integer())},
                                {"mean", array_of(nullable(number()))},
                                {"median", array_of(nullable(number()))},
                                {"std", array_of(nullable(number()))},
                                {"shop_count", array_of(integer())},
                                {"dispersion", array_of(nullable(number()))}});
  Json cohort_points = object({{"count", integer()},
                               {"bucket", array_of(date_time())},
                               {"cohort", array_of(string_schema())},
                               {"mean", array_of(nullable(number()))},
                               {"median", array_of(nullable(number()))},
                               {"std", array_of(nullable(number()))},
                               {"n_models", array_of(integer())},
                               {"shop_count_agg", array_of(integer())},
                               {"dispersion", array_of(nullable(number()))}});
  Json feature_points = object({{"count", integer()},
                                {"version", string_schema()},
                                {"bucket", array_of(date_time())},
                                {"scope", array_of(string_schema())},
                                {"name", array_of(string_schema())},
                                {"value", array_of(nullable(number()))}});
  Json run_item = object({{"run_id", string_schema()},
                          {"months", array_of(integer())},
                          {"first_bucket", date_time()},
                          {"last_bucket", date_time()},
                          {"last_insert", nullable(date_time())},
                          {"bytes", integer()},
                          {"tables", Json{{"type", "object"}}}});

  Json overall_filters = concat({run_id_param(), id_params("iphone", "iPhone"), range_params("bucket")});
  Json cohort_filters = concat({run_id_param(), param("cohort__slug", string_schema(), "Cohort slug."),
                                param("cohort__slug__in", string_schema(), "Comma-separated cohort slugs."),
                                range_params("bucket")});
  Json name_enum{{"type", "string"}, {"enum", feature_names}};
  Json feature_filters =
      concat({run_id_param(), param("scope", string_schema(), "Scope, e.g. iphone:42 or cohort:top3."),
              param("scope__in", string_schema(), "Comma-separated scopes."),
              param("name", name_enum, "Feature name."),
              param("name__in", string_schema(), "Comma-separated feature names."), range_params("bucket")});
  Json price_filters =
      concat({run_id_param(), id_params("shop", "Shop"), id_params("iphone", "iPhone"), range_params("Timestamp_Time")});

  Json health_item = object({{"bucket", date_time()},
                             {"shop", integer()},
                             {"buckets", integer()},
                             {"records_read", integer()},
                             {"invalid_prices", integer()},
                             {"cells", integer()},
                             {"above_band", integer()},
                             {"below_band", integer()},
                             {"filtered_share", nullable(number())},
                             {"iphones", integer()},
                             {"last_recorded_at", nullable(date_time())},
                             {"price_ratio_median", nullable(number())},
                             {"version", string_schema()},
                             {"updated_at", date_time()}});
  Json health_filters = concat({run_id_param(), id_params("shop", "Shop"), range_params("bucket")});

  Json paths = Json::object();
  paths["/api/overall-bars/"] =
      operation("Cross-shop aggregates per iPhone and bucket",
                concat({overall_filters, ordering_param(store::ApiTable::kOverallBars), page_params()}),
                paginated(overall_item));
  paths["/api/overall-bars/points/"] =
      operation("The same as column arrays for charts (ordered by bucket)", overall_filters, overall_points);
  paths["/api/cohort-bars/"] =
      operation("Cohort aggregates per bucket",
                concat({cohort_filters, ordering_param(store::ApiTable::kCohortBars), page_params()}),
                paginated(cohort_item));
  paths["/api/cohort-bars/points/"] = operation("Cohort aggregates as column arrays", cohort_filters, cohort_points);
  paths["/api/features/"] = operation(
      "One item per bucket and feature name",
      concat({feature_filters, ordering_param(store::ApiTable::kFeatures), page_params()}), paginated(feature_item));
  paths["/api/features/points/"] = operation("Features as column arrays", feature_filters, feature_points);
  paths["/api/purchasing-time-analyses/"] =
      operation("Aligned shop prices with shop and iPhone details",
                concat({price_filters, ordering_param(store::ApiTable::kPrices), page_params()}), paginated(price_item));
  paths["/api/purchasing-time-analyses/compact/"] =
      operation("Aligned shop prices, flat items",
                concat({price_filters, ordering_param(store::ApiTable::kPrices), page_params()}),
                paginated(compact_item));
  paths["/api/shop-health/"] =
      operation("Per shop and hour: what the pipeline saw of each scraper (docs/shop-health.md)",
                concat({health_filters, ordering_param(store::ApiTable::kShopHealth), page_params()}),
                paginated(health_item));
  Json finding_item = object({{"shop", integer()},
                              {"kind", Json{{"type", "string"}, {"enum", {"silent", "filtered", "ratio", "coverage"}}}},
                              {"value", nullable(number())},
                              {"text", string_schema()}});
  Json findings_answer = object({{"run_id", string_schema()},
                                 {"at", date_time()},
                                 {"thresholds", object({{"silent_buckets", integer()},
                                                        {"filtered_share", number()},
                                                        {"ratio_drift", number()},
                                                        {"coverage_drop", number()}})},
                                 {"count", integer()},
                                 {"results", Json{{"type", "array"}, {"items", finding_item}}}});
  paths["/api/shop-health/findings/"] = operation(
      "The findings of `ypa schedule` on a run (docs/shop-health.md, Findings): 404 for a run without rows",
      concat({run_id_param(),
              Json::array({param("at", date_time(), "Evaluate at this bucket (floored to the grid; default and at most the run's last bucket)."),
                           param("silent_buckets", integer(), "Instead of HEALTH_SILENT_BUCKETS (1-100000)."),
                           param("filtered_share", number(), "Instead of HEALTH_FILTERED_SHARE (0-1)."),
                           param("ratio_drift", number(), "Instead of HEALTH_RATIO_DRIFT (0-1000000)."),
                           param("coverage_drop", number(), "Instead of HEALTH_COVERAGE_DROP (0-1).")})}),
      findings_answer);
  paths["/api/runs/"] = operation("Runs in ClickHouse (list_runs)", page_params(), paginated(run_item));
  Json iphone_item = object({{"id", integer()},
                             {"part_number", string_schema()},
                             {"model_name", string_schema()},
                             {"capacity_gb", integer()},
                             {"color", string_schema()}});
  paths["/api/iphones/"] = operation("iPhones in PostgreSQL, by id", page_params(), paginated(iphone_item));
  Json cohort_list_item = object({{"slug", string_schema()}, {"title", string_schema()}, {"members", integer()}});
  paths["/api/cohorts/"] = operation("Cohorts in PostgreSQL with their member count, by slug", page_params(),
                                     paginated(cohort_list_item));
  auto required_param = [](const std::string& name, Json schema, const std::string& description) {
    Json p = param(name, std::move(schema), description);
    p["required"] = true;
    return p;
  };
  paths["/api/runs/compare/"] = operation(
      "compare_runs for one scope and range: the JSON of `ypa compare_runs --json`",
      Json::array({required_param("base", string_schema(), "Base run id."),
                   required_param("target", string_schema(), "Run compared with the base."),
                   required_param("scope", string_schema(), "One scope: iphone:<id> or cohort:<slug>."),
                   required_param("from", string_schema(), "First day (YYYY-MM-DD) or bucket (YYYY-MM-DDTHH:MM)."),
                   required_param("to", string_schema(), "Last day or bucket, inclusive; at most API_COMPARE_MAX_DAYS "
                                                         "after from."),
                   param("tolerance", number(), "Relative tolerance (default 1e-9).")}),
      Json{{"type", "object"}});
  auto token_operation = [](const std::string& summary, Json body, Json ok) {
    Json content{{"application/json", {{"schema", body}}},
                 {"application/x-www-form-urlencoded", {{"schema", body}}},
                 {"multipart/form-data", {{"schema", body}}}};
    Json responses{{"200", {{"description", "OK"}, {"content", {{"application/json", {{"schema", ok}}}}}}},
                   {"400", {{"description", "A field missing or invalid (DRF's body)"}}},
                   {"401", {{"description", "Wrong credentials or token (simplejwt's body)"}}}};
    return Json{{"post", {{"summary", summary},
                          {"requestBody", {{"required", true}, {"content", content}}},
                          {"responses", responses},
                          {"security", Json::array()}}}};
  };
  Json obtain = token_operation(
      "simplejwt's TokenObtainPairView over Django's auth_user (failed logins are throttled: 429)",
      object({{"username", string_schema()}, {"password", string_schema()}}),
      object({{"refresh", string_schema()}, {"access", string_schema()}}));
  obtain["post"]["responses"]["429"] = Json{{"description", "Too many failed logins from this address"}};
  paths["/api/token/"] = obtain;
  paths["/api/token/refresh/"] = token_operation("simplejwt's TokenRefreshView", object({{"refresh", string_schema()}}),
                                                 object({{"access", string_schema()}}));
  paths["/healthz"] = operation("Liveness", Json::array(), object({{"status", string_schema()}}), false);
  paths["/readyz"] = operation("Readiness: ClickHouse reachable", Json::array(),
                               object({{"status", string_schema()}, {"clickhouse", string_schema()}}), false);

  return Json{{"openapi", "3.0.3"},
              {"info", {{"title", "ypa-engine REST API"},
                        {"version", "1.0"},
                        {"description", "Django REST Framework-compatible reads of price_aligned, features_wide and shop_health "
                                        "(SPEC §10)."}}},
              {"paths", paths},
              {"components",
               {{"securitySchemes", {{"jwtAuth", {{"type", "http"}, {"scheme", "bearer"}, {"bearerFormat", "JWT"}}}}}}},
              {"security", Json::array({Json{{"jwtAuth", Json::array()}}})}};
}

}  // namespace ypa::http
