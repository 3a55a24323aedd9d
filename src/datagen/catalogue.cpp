// The demo catalogue: fictitious Japanese buy-back shops and the iPhone 13-16 line-up with buy-back
// price levels of 2025 (yen, new and unopened).
#include "datagen/catalogue.hpp"

#include <fmt/format.h>

#include <array>
#include <string_view>

#include "core/errors.hpp"

namespace ypa::datagen {
namespace {

struct Family {
  std::string_view model_name;
  std::string_view slug;
  char generation_letter;  // second letter of the part number, as Apple's do per year
  std::vector<int> capacities;
  std::vector<std::string_view> colors;
  double base_price;  // smallest capacity
  bool flagship;      // member of the "top" cohort
};

const std::vector<Family>& families() {
  static const std::vector<Family> kFamilies = [] {
    const std::vector<std::string_view> ti16{"Desert Titanium", "Natural Titanium", "White Titanium",
                                             "Black Titanium"};
    const std::vector<std::string_view> c16{"Ultramarine", "Teal", "Pink", "White", "Black"};
    const std::vector<std::string_view> ti15{"Natural Titanium", "Blue Titanium", "White Titanium",
                                             "Black Titanium"};
    const std::vector<std::string_view> c15{"Blue", "Pink", "Yellow", "Green", "Black"};
    const std::vector<std::string_view> pro14{"Deep Purple", "Gold", "Silver", "Space Black"};
    const std::vector<std::string_view> c14{"Blue",      "Purple",       "Midnight",
                                            "Starlight", "(PRODUCT)RED", "Yellow"};
    const std::vector<std::string_view> pro13{"Sierra Blue", "Silver", "Gold", "Graphite", "Alpine Green"};
    const std::vector<std::string_view> c13{"Pink", "Blue", "Midnight", "Starlight", "(PRODUCT)RED", "Green"};
    const std::vector<int> pro{128, 256, 512, 1024};
    const std::vector<int> max{256, 512, 1024};
    const std::vector<int> std_caps{128, 256, 512};
    return std::vector<Family>{
        {"iPhone 16 Pro Max", "iphone-16-pro-max", 'Y', max, ti16, 176000, true},
        {"iPhone 16 Pro", "iphone-16-pro", 'Y', pro, ti16, 146000, true},
        {"iPhone 16 Plus", "iphone-16-plus", 'X', std_caps, c16, 118000, false},
        {"iPhone 16", "iphone-16", 'X', std_caps, c16, 106000, true},
        {"iPhone 16e", "iphone-16e", 'D', std_caps, {"White", "Black"}, 78000, false},
        {"iPhone 15 Pro Max", "iphone-15-pro-max", 'U', max, ti15, 152000, true},
        {"iPhone 15 Pro", "iphone-15-pro", 'T', pro, ti15, 124000, false},
        {"iPhone 15 Plus", "iphone-15-plus", 'U', std_caps, c15, 92000, false},
        {"iPhone 15", "iphone-15", 'T', std_caps, c15, 84000, false},
        {"iPhone 14 Pro Max", "iphone-14-pro-max", 'Q', pro, pro14, 118000, false},
        {"iPhone 14 Pro", "iphone-14-pro", 'Q', pro, pro14, 101000, false},
        {"iPhone 14 Plus", "iphone-14-plus", 'P', std_caps, c14, 69000, false},
        {"iPhone 14", "iphone-14", 'P', std_caps, c14, 61000, false},
        {"iPhone 13 Pro Max", "iphone-13-pro-max", 'L', pro, pro13, 92000, false},
        {"iPhone 13 Pro", "iphone-13-pro", 'L', pro, pro13, 79000, false},
        {"iPhone 13", "iphone-13", 'N', std_caps, c13, 51000, false},
        {"iPhone 13 mini", "iphone-13-mini", 'N', std_caps, c13, 41000, false},
    };
  }();
  return kFamilies;
}

// Each capacity step is worth about 13% more on the buy-back market.
constexpr double kCapacityStep = 1.13;
// Colours differ slightly (popular colours fetch a bit more): factors by colour index.
constexpr std::array<double, 6> kColorFactor{1.0, 0.995, 1.01, 0.99, 1.005, 0.985};

// Fictitious shop brands and branch areas; names are brand + area + "店".
constexpr std::array<std::string_view, 12> kBrands{"スマホ買取本舗",   "モバイル館",   "買取ステーション",
                                                   "テックリサイクル", "携帯市場",     "アイフォン堂",
                                                   "デジタル買取王",   "リユース横丁", "青空モバイル",
                                                   "買取の森",         "ガジェット蔵", "スマートバンク"};
constexpr std::array<std::string_view, 14> kAreas{"秋葉原", "新宿",     "渋谷", "池袋",     "上野",
                                                  "有楽町", "梅田",     "難波", "名古屋栄", "博多",
                                                  "札幌",   "横浜西口", "仙台", "京都四条"};

std::string shop_name(int index) {
  // Walk the brand x area grid diagonally so neighbouring shops differ in both.
  auto brand = kBrands[static_cast<std::size_t>(index) % kBrands.size()];
  auto area_index = (static_cast<std::size_t>(index) / kBrands.size() + static_cast<std::size_t>(index) * 5) %
                    kAreas.size();
  auto round = static_cast<std::size_t>(index) / (kBrands.size() * kAreas.size());
  if (round == 0) return fmt::format("{} {}店", brand, kAreas[area_index]);
  return fmt::format("{} {}{}号店", brand, kAreas[area_index], round + 1);
}

// "M" + generation letter + two letters + digit + "J/A" (Japanese model), unique per generation:
// an affine permutation of the 26*26*10 codes spreads consecutive SKUs like Apple's numbers look.
std::string part_number(char generation_letter, int serial) {
  constexpr int kCodes = 26 * 26 * 10;
  int code = (serial * 2741 + 1237) % kCodes;  // gcd(2741, 6760) = 1: a bijection
  char first = static_cast<char>('A' + code / 260);
  char second = static_cast<char>('A' + (code / 10) % 26);
  char digit = static_cast<char>('0' + code % 10);
  return fmt::format("M{}{}{}{}J/A", generation_letter, first, second, digit);
}

}  // namespace

int max_iphones() {
  int total = 0;
  for (const auto& f : families()) total += static_cast<int>(f.capacities.size() * f.colors.size());
  return total;
}

Catalogue build_catalogue(int shops, int iphones) {
  if (shops < 1 || shops > kMaxShops) {
    throw InputError(fmt::format("--shops {}: must be between 1 and {}", shops, kMaxShops));
  }
  if (iphones < 1 || iphones > max_iphones()) {
    throw InputError(fmt::format("--iphones {}: must be between 1 and {} (the SKUs of iPhone 13 to 16)",
                                 iphones, max_iphones()));
  }
  Catalogue c;
  for (int i = 0; i < shops; ++i) c.shops.push_back({i + 1, shop_name(i)});

  std::array<int, 26> serial_per_letter{};
  for (int f = 0; f < static_cast<int>(families().size()); ++f) {
    const Family& family = families()[static_cast<std::size_t>(f)];
    for (std::size_t cap = 0; cap < family.capacities.size(); ++cap) {
      double capacity_price = family.base_price;
      for (std::size_t step = 0; step < cap; ++step) capacity_price *= kCapacityStep;
      for (std::size_t color = 0; color < family.colors.size(); ++color) {
        if (static_cast<int>(c.iphones.size()) == iphones) break;
        Iphone phone;
        phone.id = static_cast<std::int64_t>(c.iphones.size()) + 1;
        int& serial = serial_per_letter[static_cast<std::size_t>(family.generation_letter - 'A')];
        phone.part_number = part_number(family.generation_letter, serial++);
        phone.model_name = std::string(family.model_name);
        phone.capacity_gb = family.capacities[cap];
        phone.color = std::string(family.colors[color]);
        phone.base_price = capacity_price * kColorFactor[color % kColorFactor.size()];
        phone.family = f;
        c.iphones.push_back(std::move(phone));
      }
    }
  }

  // One profile: a few shops known for unreliable quotes are left out (0), a few trusted ones count
  // double, everyone else is unlisted and weighs 1.
  c.profiles.push_back({1, "trusted-shops"});
  for (const auto& shop : c.shops) {
    double weight = 1.0;
    if (shop.id % 7 == 3) weight = 0.0;
    if (shop.id % 5 == 1) weight = 2.0;
    if (shop.id % 11 == 0) weight = 1.0;  // listed explicitly with the default weight, as admins do
    bool listed = weight != 1.0 || shop.id % 11 == 0;
    if (listed) {
      c.profile_items.push_back({static_cast<std::int64_t>(c.profile_items.size()) + 1, 1, shop.id, weight});
    }
  }

  auto add_member = [&c](std::int64_t cohort_id, const Iphone& phone, double weight) {
    c.members.push_back({static_cast<std::int64_t>(c.members.size()) + 1, cohort_id, phone.id, weight});
  };
  // Smaller capacities sell more, so they weigh more in a family's index.
  auto capacity_weight = [](int capacity_gb) {
    switch (capacity_gb) {
      case 128:
        return 1.5;
      case 256:
        return 1.2;
      case 512:
        return 0.8;
      default:
        return 0.5;
    }
  };
  for (int f = 0; f < static_cast<int>(families().size()); ++f) {
    const Family& family = families()[static_cast<std::size_t>(f)];
    if (c.iphones.empty() || c.iphones.back().family < f) break;
    std::int64_t id = static_cast<std::int64_t>(c.cohorts.size()) + 1;
    c.cohorts.push_back({id, std::string(family.slug), std::string(family.model_name), std::nullopt});
    for (const auto& phone : c.iphones) {
      if (phone.family == f) add_member(id, phone, capacity_weight(phone.capacity_gb));
    }
  }
  // The "top" cohort: flagship models at their most traded capacity, priced over trusted shops.
  std::int64_t top_id = static_cast<std::int64_t>(c.cohorts.size()) + 1;
  bool has_top = false;
  for (const auto& phone : c.iphones) {
    const Family& family = families()[static_cast<std::size_t>(phone.family)];
    if (!family.flagship || phone.capacity_gb != family.capacities[family.capacities.size() > 3 ? 1 : 0])
      continue;
    if (!has_top) c.cohorts.push_back({top_id, "top", "Top sellers (trusted shops)", 1});
    has_top = true;
    add_member(top_id, phone, family.model_name.ends_with("Pro Max") ? 2.0 : 1.0);
  }
  return c;
}

}  // namespace ypa::datagen
