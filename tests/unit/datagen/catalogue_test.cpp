// The demo catalogue: realistic, unique names and the cohort/profile shapes SPEC §2 and §6 expect.
#include "datagen/catalogue.hpp"

#include <gtest/gtest.h>

#include <map>
#include <regex>
#include <set>

#include "core/errors.hpp"

namespace ypa::datagen {
namespace {

TEST(CatalogueTest, DefaultSizesAndUniqueNames) {
  Catalogue c = build_catalogue(24, 160);
  ASSERT_EQ(c.shops.size(), 24U);
  ASSERT_EQ(c.iphones.size(), 160U);
  std::set<std::string> shop_names;
  for (std::size_t i = 0; i < c.shops.size(); ++i) {
    EXPECT_EQ(c.shops[i].id, static_cast<std::int64_t>(i) + 1);
    EXPECT_NE(c.shops[i].name.find("店"), std::string::npos) << c.shops[i].name;
    shop_names.insert(c.shops[i].name);
  }
  EXPECT_EQ(shop_names.size(), c.shops.size());

  const std::regex part(R"(M[A-Z]{3}[0-9]J/A)");
  std::set<std::string> parts;
  std::set<std::string> models;
  for (std::size_t i = 0; i < c.iphones.size(); ++i) {
    const Iphone& p = c.iphones[i];
    EXPECT_EQ(p.id, static_cast<std::int64_t>(i) + 1);
    EXPECT_TRUE(std::regex_match(p.part_number, part)) << p.part_number;
    parts.insert(p.part_number);
    EXPECT_EQ(p.model_name.rfind("iPhone ", 0), 0U) << p.model_name;
    models.insert(p.model_name);
    EXPECT_TRUE(p.capacity_gb == 128 || p.capacity_gb == 256 || p.capacity_gb == 512 ||
                p.capacity_gb == 1024);
    EXPECT_FALSE(p.color.empty());
    EXPECT_GE(p.base_price, 30000);
    EXPECT_LE(p.base_price, 230000);
  }
  EXPECT_EQ(parts.size(), c.iphones.size());
  EXPECT_GE(models.size(), 8U);
}

TEST(CatalogueTest, LargestCataloguesStayUnique) {
  Catalogue c = build_catalogue(kMaxShops, max_iphones());
  std::set<std::string> names;
  for (const auto& s : c.shops) names.insert(s.name);
  EXPECT_EQ(names.size(), c.shops.size());
  std::set<std::string> parts;
  for (const auto& p : c.iphones) parts.insert(p.part_number);
  EXPECT_EQ(parts.size(), c.iphones.size());
}

TEST(CatalogueTest, CohortsPerFamilyPlusTop) {
  Catalogue c = build_catalogue(24, 160);
  std::map<std::int64_t, int> members_per_cohort;
  for (const auto& m : c.members) {
    EXPECT_GT(m.weight, 0.0);
    ++members_per_cohort[m.cohort_id];
  }
  std::set<std::string> slugs;
  bool top_uses_profile = false;
  for (const auto& k : c.cohorts) {
    slugs.insert(k.slug);
    EXPECT_GT(members_per_cohort[k.id], 0) << k.slug;
    if (k.slug == "top") top_uses_profile = k.shop_weight_profile_id == c.profiles.at(0).id;
  }
  EXPECT_EQ(slugs.size(), c.cohorts.size());
  EXPECT_TRUE(slugs.count("top"));
  EXPECT_TRUE(slugs.count("iphone-16-pro"));
  EXPECT_TRUE(top_uses_profile);
  EXPECT_GE(c.cohorts.size(), 6U);
  // Every member is a known iPhone, at most once per cohort.
  std::set<std::pair<std::int64_t, std::int64_t>> pairs;
  for (const auto& m : c.members) {
    EXPECT_GE(m.iphone_id, 1);
    EXPECT_LE(m.iphone_id, 160);
    EXPECT_TRUE(pairs.insert({m.cohort_id, m.iphone_id}).second);
  }
}

TEST(CatalogueTest, ProfileHasZeroDoubleAndUnlistedShops) {
  Catalogue c = build_catalogue(24, 160);
  ASSERT_EQ(c.profiles.size(), 1U);
  std::set<double> weights;
  std::set<std::int64_t> listed;
  for (const auto& item : c.profile_items) {
    EXPECT_GE(item.weight, 0.0);
    weights.insert(item.weight);
    EXPECT_TRUE(listed.insert(item.shop_id).second);
  }
  EXPECT_TRUE(weights.count(0.0));
  EXPECT_TRUE(weights.count(2.0));
  EXPECT_LT(listed.size(), c.shops.size());  // some shops are unlisted and weigh 1
}

TEST(CatalogueTest, SizesOutOfRangeAreInputErrors) {
  EXPECT_THROW(build_catalogue(0, 160), InputError);
  EXPECT_THROW(build_catalogue(kMaxShops + 1, 160), InputError);
  EXPECT_THROW(build_catalogue(24, 0), InputError);
  EXPECT_THROW(build_catalogue(24, max_iphones() + 1), InputError);
  EXPECT_NO_THROW(build_catalogue(1, 1));
}

}  // namespace
}  // namespace ypa::datagen
