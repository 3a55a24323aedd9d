// The CUDA backend's host side: validates shapes, moves the frames through pinned staging buffers on
// one stream, launches the kernels of detail/ and carries the feature state between batches exactly
// as the CPU backend does. Device buffers are kept between calls and only grow.
#include "compute/cuda/cuda_backend.hpp"

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <string>
#include <vector>

#include "compute/cuda/detail/cuda_resources.hpp"
#include "compute/cuda/detail/kernels.hpp"
#include "core/errors.hpp"

namespace ypa::compute {
namespace {

using cuda::detail::check;
using cuda::detail::DeviceBuffer;

// Series per upload group: the aggregate of one group runs while the CPU stages the next.
constexpr std::size_t kGroupBytes = std::size_t{64} << 20;

class CudaBackend final : public Backend {
 public:
  explicit CudaBackend(int device) : device_(device) {
    int count = 0;
    if (cudaGetDeviceCount(&count) != cudaSuccess) {
      cudaGetLastError();
      count = 0;
    }
    if (device < 0 || device >= count) {
      throw InputError("cuda:" + std::to_string(device) + ": no such CUDA device (" + std::to_string(count) +
                       " present)");
    }
    activate();
    stream_ = std::make_unique<cuda::detail::Stream>();
    copier_ = std::make_unique<cuda::detail::StagedCopier>();
    cpu_ = make_cpu_backend();
  }

  std::string name() const override { return "cuda:" + std::to_string(device_); }

  StatsFrame aggregate(const PriceCube& cube, const domain::AggregateParams& params,
                       std::span<const ProfileWeights> profiles, ProfilePrices* profile_prices) override {
    if (cube.n_shops > static_cast<std::size_t>(cuda::detail::kMaxShops)) {
      return cpu_->aggregate(cube, params, profiles, profile_prices);
    }
    activate();
    const std::size_t cells = cube.n_series * cube.n_buckets;
    if (cube.price.size() != cells * cube.n_shops)
      throw Error("aggregate: price cube size does not match its shape");
    StatsFrame out(cube.n_series, cube.n_buckets);
    const std::size_t n_profiles = profile_prices != nullptr ? profiles.size() : 0;
    if (profile_prices != nullptr) profile_prices->price.assign(n_profiles, std::vector<double>(cells, NAN));
    if (cells == 0) return out;
    if (cube.n_shops == 0) {  // no shop, no price: every cell stays empty
      std::fill(out.n_models.begin(), out.n_models.end(), std::uint16_t{0});
      return out;
    }
    const auto n_shops = static_cast<int>(cube.n_shops);
    std::vector<double> weights(n_profiles * cube.n_shops);
    for (std::size_t p = 0; p < n_profiles; ++p) {
      if (profiles[p].by_shop.size() != cube.n_shops)
        throw Error("aggregate: profile weights do not match the shops");
      std::copy(profiles[p].by_shop.begin(), profiles[p].by_shop.end(), weights.begin() + p * cube.n_shops);
    }
    cudaStream_t s = stream_->get();
    cube_.resize(cells * cube.n_shops);
    weights_.resize(std::max<std::size_t>(weights.size(), 1));
    stats_.resize(cells, 4);
    counts_.resize(2 * cells);
    profile_prices_.resize(std::max<std::size_t>(n_profiles * cells, 1));
    if (!weights.empty())
      copier_->upload(weights_.data(), weights.data(), weights.size() * sizeof(double), s);

    // Upload a group of whole series, then queue its kernel: the GPU works on group g while the CPU
    // stages group g+1 into pinned memory.
    const std::size_t series_bytes = cube.n_buckets * cube.n_shops * sizeof(double);
    const std::size_t group = std::max<std::size_t>(1, kGroupBytes / std::max<std::size_t>(series_bytes, 1));
    for (std::size_t first = 0; first < cube.n_series; first += group) {
      const std::size_t n = std::min(group, cube.n_series - first);
      const std::size_t cell0 = first * cube.n_buckets, group_cells = n * cube.n_buckets;
      copier_->upload(cube_.data() + cell0 * cube.n_shops, cube.price.data() + cell0 * cube.n_shops,
                      group_cells * cube.n_shops * sizeof(double), s);
      cuda::detail::StatsOut o = stats_out(cells, cell0);
      cuda::detail::launch_aggregate(cube_.data() + cell0 * cube.n_shops, group_cells, n_shops,
                                     params.outlier_band, weights_.data(), static_cast<int>(n_profiles),
                                     profile_prices_.data() + cell0, cells, o, s);
    }
    download_stats(out, cells);
    for (std::size_t p = 0; p < n_profiles; ++p) {
      copier_->download(profile_prices->price[p].data(), profile_prices_.data() + p * cells,
                        cells * sizeof(double), s);
    }
    stream_->synchronize("aggregate");
    return out;
  }

  StatsFrame cohorts(const StatsFrame& iphones, const ProfilePrices& profile_prices,
                     std::span<const CohortPlan> cohorts) override {
    activate();
    StatsFrame out(cohorts.size(), iphones.n_buckets);
    const std::size_t cells = iphones.n_series * iphones.n_buckets;
    if (cohorts.empty() || iphones.n_buckets == 0) return out;
    std::vector<int> offsets{0}, members, profile;
    std::vector<double> member_weights;
    for (const auto& plan : cohorts) {
      if (plan.member_series.size() != plan.member_weights.size())
        throw Error("cohorts: members and weights differ");
      for (std::size_t m = 0; m < plan.member_series.size(); ++m) {
        if (plan.member_series[m] >= iphones.n_series) throw Error("cohorts: member series out of range");
        members.push_back(static_cast<int>(plan.member_series[m]));
        member_weights.push_back(plan.member_weights[m]);
      }
      if (plan.profile >= static_cast<int>(profile_prices.price.size()))
        throw Error("cohorts: unknown profile");
      offsets.push_back(static_cast<int>(members.size()));
      profile.push_back(plan.profile);
    }
    cudaStream_t s = stream_->get();
    const std::size_t n_profiles = profile_prices.price.size();
    in_mean_.resize(cells);
    in_counts_.resize(cells);
    profile_prices_.resize(std::max<std::size_t>(n_profiles * cells, 1));
    plan_ints_.resize(offsets.size() + std::max<std::size_t>(members.size(), 1) + profile.size());
    plan_weights_.resize(std::max<std::size_t>(member_weights.size(), 1));
    copier_->upload(in_mean_.data(), iphones.mean.data(), cells * sizeof(double), s);
    copier_->upload(in_counts_.data(), iphones.shop_count.data(), cells * sizeof(std::uint16_t), s);
    for (std::size_t p = 0; p < n_profiles; ++p) {
      if (profile_prices.price[p].size() != cells)
        throw Error("cohorts: profile prices do not match the frame");
      copier_->upload(profile_prices_.data() + p * cells, profile_prices.price[p].data(),
                      cells * sizeof(double), s);
    }
    int* d_offsets = plan_ints_.data();
    int* d_members = d_offsets + offsets.size();
    int* d_profile = d_members + std::max<std::size_t>(members.size(), 1);
    copier_->upload(d_offsets, offsets.data(), offsets.size() * sizeof(int), s);
    if (!members.empty()) copier_->upload(d_members, members.data(), members.size() * sizeof(int), s);
    copier_->upload(d_profile, profile.data(), profile.size() * sizeof(int), s);
    if (!member_weights.empty()) {
      copier_->upload(plan_weights_.data(), member_weights.data(), member_weights.size() * sizeof(double), s);
    }
    const std::size_t out_cells = cohorts.size() * iphones.n_buckets;
    stats_.resize(out_cells, 4);
    counts_.resize(2 * out_cells);
    cuda::detail::CohortInputs in{in_mean_.data(),
                                  in_counts_.data(),
                                  profile_prices_.data(),
                                  cells,
                                  iphones.n_buckets,
                                  d_offsets,
                                  d_members,
                                  plan_weights_.data(),
                                  d_profile,
                                  static_cast<int>(cohorts.size())};
    cuda::detail::launch_cohorts(in, stats_out(out_cells, 0), s);
    download_stats(out, out_cells);
    stream_->synchronize("cohorts");
    return out;
  }

  FeatureFrame features(const StatsFrame& stats, FeatureCarry& carry,
                        const domain::FeatureParams& params) override {
    const std::size_t n_series = stats.n_series, n_buckets = stats.n_buckets;
    const std::size_t n_windows = params.window_buckets.size();
    if (carry.series.size() != n_series) carry.series.assign(n_series, domain::initial_carry(params));
    cuda::detail::WindowSet windows{};
    windows.count = static_cast<int>(n_windows);
    windows.history = params.max_window() - 1;
    windows.boll_k = params.boll_k;
    bool supported = n_windows >= 1 && n_windows <= static_cast<std::size_t>(cuda::detail::kMaxWindows);
    for (std::size_t w = 0; supported && w < n_windows; ++w) {
      const int b = params.window_buckets[w];
      supported = b >= 1;
      windows.buckets[w] = b;
      windows.alpha[w] = 2.0 / (static_cast<double>(b) + 1.0);
    }
    activate();
    if (!supported || !cuda::detail::features_supported(windows, device_)) {
      return cpu_->features(stats, carry, params);
    }
    FeatureFrame out(n_series, n_buckets, n_windows);
    if (n_series == 0 || n_buckets == 0) return out;
    const auto history = static_cast<std::size_t>(windows.history);
    std::vector<double> tail(n_series * history), ema0(n_series * n_windows);
    for (std::size_t s = 0; s < n_series; ++s) {
      const auto& c = carry.series[s];
      if (c.tail.size() != history || c.ema.size() != n_windows)
        throw Error("features: carry does not match windows");
      std::copy(c.tail.begin(), c.tail.end(), tail.begin() + s * history);
      std::copy(c.ema.begin(), c.ema.end(), ema0.begin() + s * n_windows);
    }
    cudaStream_t st = stream_->get();
    x_.resize(n_series * n_buckets);
    tail_.resize(std::max<std::size_t>(tail.size(), 1));
    ema0_.resize(ema0.size());
    scratch_.resize(cuda::detail::feature_scratch_doubles(n_series, n_buckets, windows));
    features_.resize(out.values.size());
    copier_->upload(x_.data(), stats.mean.data(), x_.bytes(), st);
    if (!tail.empty()) copier_->upload(tail_.data(), tail.data(), tail.size() * sizeof(double), st);
    copier_->upload(ema0_.data(), ema0.data(), ema0.size() * sizeof(double), st);
    cuda::detail::launch_features(x_.data(), tail_.data(), ema0_.data(), n_series, n_buckets, windows,
                                  scratch_.data(), features_.data(), st);
    copier_->download(out.values.data(), features_.data(), features_.bytes(), st);
    stream_->synchronize("features");

    // Advance the carry past the batch, as domain::series_features does: the EMA after the last bucket
    // and the last `history` values of tail ++ x.
    for (std::size_t s = 0; s < n_series; ++s) {
      auto& c = carry.series[s];
      for (std::size_t w = 0; w < n_windows; ++w) c.ema[w] = out.at(w, FeatureKind::kEma, s, n_buckets - 1);
      std::vector<double> y(c.tail);
      y.insert(y.end(), stats.mean.begin() + static_cast<std::ptrdiff_t>(s * n_buckets),
               stats.mean.begin() + static_cast<std::ptrdiff_t>((s + 1) * n_buckets));
      std::copy(y.end() - static_cast<std::ptrdiff_t>(history), y.end(), c.tail.begin());
    }
    return out;
  }

 private:
  // The runtime's current device is per host thread; every entry point sets it.
  void activate() const { check(cudaSetDevice(device_), "cudaSetDevice"); }

  // stats_ holds four double columns of `cells` each; counts_ the two uint16 columns.
  struct StatsColumns {
    DeviceBuffer<double> values;
    std::size_t cells = 0;
    void resize(std::size_t n, std::size_t columns) {
      values.resize(n * columns);
      cells = n;
    }
  };

  cuda::detail::StatsOut stats_out(std::size_t cells, std::size_t first) {
    double* v = stats_.values.data();
    std::uint16_t* c = counts_.data();
    return {v + first, v + cells + first, v + 2 * cells + first, v + 3 * cells + first,
            c + first, c + cells + first};
  }

  void download_stats(StatsFrame& out, std::size_t cells) {
    cudaStream_t s = stream_->get();
    const cuda::detail::StatsOut o = stats_out(cells, 0);
    copier_->download(out.mean.data(), o.mean, cells * sizeof(double), s);
    copier_->download(out.median.data(), o.median, cells * sizeof(double), s);
    copier_->download(out.std.data(), o.std, cells * sizeof(double), s);
    copier_->download(out.dispersion.data(), o.dispersion, cells * sizeof(double), s);
    copier_->download(out.shop_count.data(), o.shop_count, cells * sizeof(std::uint16_t), s);
    copier_->download(out.n_models.data(), o.n_models, cells * sizeof(std::uint16_t), s);
  }

  int device_;
  std::unique_ptr<cuda::detail::Stream> stream_;
  std::unique_ptr<cuda::detail::StagedCopier> copier_;
  std::unique_ptr<Backend> cpu_;
  DeviceBuffer<double> cube_, weights_, profile_prices_, in_mean_, plan_weights_, x_, tail_, ema0_, scratch_,
      features_;
  DeviceBuffer<std::uint16_t> counts_, in_counts_;
  DeviceBuffer<int> plan_ints_;
  StatsColumns stats_;
};

}  // namespace

std::unique_ptr<Backend> make_cuda_backend(int device) {
  return std::make_unique<CudaBackend>(device);
}

}  // namespace ypa::compute
