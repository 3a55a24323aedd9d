// The reference rows of the demo data: shops, iPhone SKUs, cohorts with member weights and a shop
// weight profile (SPEC §2). Pure data, no I/O; ids are explicit so a seed always yields the same rows.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace ypa::datagen {

struct Shop {
  std::int64_t id = 0;
  std::string name;  // UTF-8, e.g. "スマホ買取本舗 秋葉原店"
};

struct Iphone {
  std::int64_t id = 0;
  std::string part_number;  // "MTUW3J/A"
  std::string model_name;   // "iPhone 15 Pro"
  int capacity_gb = 0;      // 128, 256, 512 or 1024
  std::string color;
  // Not stored: what the price generator needs to know about the SKU.
  double base_price = 0;  // yen, new and unopened, at the start of the data
  int family = 0;         // index into the model families, shared by one cohort
};

struct ShopWeightProfile {
  std::int64_t id = 0;
  std::string slug;
};

struct ShopWeightItem {
  std::int64_t id = 0;
  std::int64_t profile_id = 0;
  std::int64_t shop_id = 0;
  double weight = 1.0;  // >= 0; shops the profile does not list weigh 1
};

struct Cohort {
  std::int64_t id = 0;
  std::string slug;
  std::string title;
  std::optional<std::int64_t> shop_weight_profile_id;
};

struct CohortMember {
  std::int64_t id = 0;
  std::int64_t cohort_id = 0;
  std::int64_t iphone_id = 0;
  double weight = 1.0;  // > 0
};

struct Catalogue {
  std::vector<Shop> shops;
  std::vector<Iphone> iphones;
  std::vector<ShopWeightProfile> profiles;
  std::vector<ShopWeightItem> profile_items;
  std::vector<Cohort> cohorts;
  std::vector<CohortMember> members;
};

// The most SKUs the built-in model list offers, and the most shops with distinct names.
int max_iphones();
constexpr int kMaxShops = 500;

// Shops 1..shops and the first `iphones` SKUs of the model list (newest families first), one cohort
// per model family present, a "top" cohort of flagship SKUs weighted by the "trusted-shops" profile.
// Throws InputError naming --shops or --iphones when out of range.
Catalogue build_catalogue(int shops, int iphones);

}  // namespace ypa::datagen
