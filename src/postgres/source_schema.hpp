// The source tables of SPEC §2: their (configurable) names and the demo schema `ypa init --source-schema`
// creates. The real tables belong to the Django application; this schema is for demos and tests.
#pragma once

#include <string>

#include "postgres/connection.hpp"

namespace ypa::postgres {

struct SourceTables {
  std::string price_record = "AppleStockChecker_purchasingshoppricerecord";
  std::string shop = "AppleStockChecker_secondhandshop";
  std::string iphone = "AppleStockChecker_iphone";
  std::string cohort = "AppleStockChecker_cohort";
  std::string cohort_member = "AppleStockChecker_cohortmember";
  std::string shop_weight_profile = "AppleStockChecker_shopweightprofile";
  std::string shop_weight_item = "AppleStockChecker_shopweightitem";
  // Django's user table (django.contrib.auth), which `ypa serve`'s login reads.
  std::string auth_user = "auth_user";

  // Overrides from YPA_TABLE_PRICE_RECORD, YPA_TABLE_SHOP, ... (see docs/configuration.md).
  static SourceTables from_env();
};

// Creates the demo schema (tables, keys, the indexes a Django model would have). Idempotent.
void create_source_schema(Connection& conn, const SourceTables& tables);

}  // namespace ypa::postgres
