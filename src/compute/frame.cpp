#include "compute/frame.hpp"

#include <cmath>

namespace ypa::compute {

PriceCube::PriceCube(std::size_t series, std::size_t buckets, std::size_t shops)
    : n_series(series), n_buckets(buckets), n_shops(shops), price(series * buckets * shops, NAN) {}

StatsFrame::StatsFrame(std::size_t series, std::size_t buckets)
    : n_series(series),
      n_buckets(buckets),
      mean(series * buckets, NAN),
      median(series * buckets, NAN),
      std(series * buckets, NAN),
      dispersion(series * buckets, NAN),
      shop_count(series * buckets, 0),
      n_models(series * buckets, 0) {}

FeatureFrame::FeatureFrame(std::size_t series, std::size_t buckets, std::size_t windows)
    : n_series(series),
      n_buckets(buckets),
      n_windows(windows),
      values(windows * kFeatureKinds * series * buckets, NAN) {}

}  // namespace ypa::compute
