// `gpu_bench [--frame PATH] [--json PATH] [--cpu]`: times the CUDA backend on the one-year frame
// (35 040 buckets x 160 iPhones x 24 shops, float64) and the bandwidth floor, on the GPU:
//  - kernels alone, data resident on the device: aggregate (+4 shop profiles), cohorts (12), features
//    (3 windows, all 7 kinds) of the iPhones and of the cohorts; each step and the whole, median of 10;
//  - a device-to-device copy of the cube (bytes read + written per second), and the floor of the whole
//    computation = the bytes it must move / that bandwidth;
//  - the backend through its host interface (pinned staging, transfers included), and with --cpu the
//    CPU backend on the same frame.
// --frame writes the cube for bench/gpu/design_doc_torch.py: "YPAFRAME", u64 series, buckets, shops,
// then float64 [series][bucket][shop] (NaN = missing).
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <stdexcept>
#include <string>
#include <vector>

#include "compute/backend_factory.hpp"
#include "compute/cuda/detail/cuda_resources.hpp"
#include "compute/cuda/detail/kernels.hpp"
#include "gpu/frames.hpp"

namespace {

using namespace ypa;
namespace d = compute::cuda::detail;

constexpr std::size_t kSeries = 160, kBuckets = 35040, kShops = 24, kProfiles = 4, kCohorts = 12;
constexpr int kWarmup = 2, kReps = 10;

double median(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  return v[v.size() / 2];
}

// Median milliseconds of `body` on the stream, timed with events.
template <typename Body>
double time_ms(cudaStream_t stream, Body body) {
  d::Event start(true), stop(true);
  std::vector<double> ms;
  for (int i = 0; i < kWarmup + kReps; ++i) {
    d::check(cudaEventRecord(start.get(), stream), "cudaEventRecord");
    body();
    d::check(cudaEventRecord(stop.get(), stream), "cudaEventRecord");
    d::check(cudaEventSynchronize(stop.get()), "cudaEventSynchronize");
    float t = 0;
    d::check(cudaEventElapsedTime(&t, start.get(), stop.get()), "cudaEventElapsedTime");
    if (i >= kWarmup) ms.push_back(t);
  }
  return median(ms);
}

template <typename Body>
double host_seconds(Body body) {
  auto start = std::chrono::steady_clock::now();
  body();
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
}

void write_frame(const std::string& path, const compute::PriceCube& cube) {
  std::ofstream f(path, std::ios::binary);
  const std::uint64_t shape[3] = {cube.n_series, cube.n_buckets, cube.n_shops};
  f.write("YPAFRAME", 8);
  f.write(reinterpret_cast<const char*>(shape), sizeof shape);
  f.write(reinterpret_cast<const char*>(cube.price.data()),
          static_cast<std::streamsize>(cube.price.size() * 8));
  if (!f) throw std::runtime_error("cannot write " + path);
}

}  // namespace

int main(int argc, char** argv) {
  std::string frame_path, json_path;
  bool with_cpu = false;
  for (int i = 1; i < argc; ++i) {
    if (std::strcmp(argv[i], "--frame") == 0 && i + 1 < argc) {
      frame_path = argv[++i];
    } else if (std::strcmp(argv[i], "--json") == 0 && i + 1 < argc) {
      json_path = argv[++i];
    } else if (std::strcmp(argv[i], "--cpu") == 0) {
      with_cpu = true;
    } else {
      std::fprintf(stderr, "usage: gpu_bench [--frame PATH] [--json PATH] [--cpu]\n");
      return 2;
    }
  }
  try {
    if (compute::cuda_device_count() == 0) {
      std::fprintf(stderr, "gpu_bench: no CUDA GPU on this machine\n");
      return 3;
    }
    d::check(cudaSetDevice(0), "cudaSetDevice");
    cudaDeviceProp prop{};
    d::check(cudaGetDeviceProperties(&prop, 0), "cudaGetDeviceProperties");

    testing::gpu::CubeShape shape{kSeries, kBuckets, kShops, 2025};
    shape.all_missing_series = false;
    const compute::PriceCube cube = testing::gpu::random_cube(shape);
    const auto profiles = testing::gpu::random_profiles(kShops, kProfiles, 2025);
    const auto cohorts = testing::gpu::random_cohorts(kSeries, kCohorts, kProfiles, 2025);
    if (!frame_path.empty()) write_frame(frame_path, cube);

    const std::size_t cells = kSeries * kBuckets, cohort_cells = kCohorts * kBuckets;
    d::Stream stream;
    cudaStream_t s = stream.get();
    d::DeviceBuffer<double> d_cube(cube.price.size()), d_weights(kProfiles * kShops),
        d_profile(kProfiles * cells);
    d::DeviceBuffer<double> d_stats(4 * cells), d_cohort_stats(4 * cohort_cells);
    d::DeviceBuffer<std::uint16_t> d_counts(2 * cells), d_cohort_counts(2 * cohort_cells);
    std::vector<double> weights;
    for (const auto& p : profiles) weights.insert(weights.end(), p.by_shop.begin(), p.by_shop.end());
    d::check(cudaMemcpy(d_cube.data(), cube.price.data(), d_cube.bytes(), cudaMemcpyHostToDevice),
             "upload cube");
    d::check(cudaMemcpy(d_weights.data(), weights.data(), d_weights.bytes(), cudaMemcpyHostToDevice),
             "upload");
    auto stats_out = [](d::DeviceBuffer<double>& v, d::DeviceBuffer<std::uint16_t>& c, std::size_t n) {
      return d::StatsOut{v.data(), v.data() + n, v.data() + 2 * n, v.data() + 3 * n, c.data(), c.data() + n};
    };
    const d::StatsOut iphone_out = stats_out(d_stats, d_counts, cells);
    const d::StatsOut cohort_out = stats_out(d_cohort_stats, d_cohort_counts, cohort_cells);

    std::vector<int> offsets{0}, members, profile;
    std::vector<double> member_weights;
    for (const auto& c : cohorts) {
      for (std::size_t m = 0; m < c.member_series.size(); ++m) {
        members.push_back(static_cast<int>(c.member_series[m]));
        member_weights.push_back(c.member_weights[m]);
      }
      offsets.push_back(static_cast<int>(members.size()));
      profile.push_back(c.profile);
    }
    d::DeviceBuffer<int> d_offsets(offsets.size()), d_members(members.size()),
        d_cohort_profile(profile.size());
    d::DeviceBuffer<double> d_member_weights(member_weights.size());
    d::check(cudaMemcpy(d_offsets.data(), offsets.data(), d_offsets.bytes(), cudaMemcpyHostToDevice),
             "upload");
    d::check(cudaMemcpy(d_members.data(), members.data(), d_members.bytes(), cudaMemcpyHostToDevice),
             "upload");
    d::check(
        cudaMemcpy(d_cohort_profile.data(), profile.data(), d_cohort_profile.bytes(), cudaMemcpyHostToDevice),
        "upload");
    d::check(cudaMemcpy(d_member_weights.data(), member_weights.data(), d_member_weights.bytes(),
                        cudaMemcpyHostToDevice),
             "upload");
    const d::CohortInputs cohort_in{d_stats.data(),
                                    d_counts.data(),
                                    d_profile.data(),
                                    cells,
                                    kBuckets,
                                    d_offsets.data(),
                                    d_members.data(),
                                    d_member_weights.data(),
                                    d_cohort_profile.data(),
                                    static_cast<int>(kCohorts)};

    d::WindowSet windows{};
    windows.count = 3;
    windows.history = 119;
    windows.boll_k = 2.0;
    const int buckets[3] = {8, 60, 120};
    for (int w = 0; w < 3; ++w) {
      windows.buckets[w] = buckets[w];
      windows.alpha[w] = 2.0 / (buckets[w] + 1.0);
    }
    if (!d::features_supported(windows, 0))
      throw std::runtime_error("feature kernel does not fit this device");
    const std::vector<double> nan_tail(kSeries * 119, NAN), nan_ema(kSeries * 3, NAN);
    d::DeviceBuffer<double> d_tail(nan_tail.size()), d_ema0(nan_ema.size());
    d::check(cudaMemcpy(d_tail.data(), nan_tail.data(), d_tail.bytes(), cudaMemcpyHostToDevice), "upload");
    d::check(cudaMemcpy(d_ema0.data(), nan_ema.data(), d_ema0.bytes(), cudaMemcpyHostToDevice), "upload");
    d::DeviceBuffer<double> d_scratch(d::feature_scratch_doubles(kSeries, kBuckets, windows));
    d::DeviceBuffer<double> d_features(3 * 7 * cells), d_cohort_features(3 * 7 * cohort_cells);

    auto aggregate = [&] {
      d::launch_aggregate(d_cube.data(), cells, static_cast<int>(kShops), 0.25, d_weights.data(),
                          static_cast<int>(kProfiles), d_profile.data(), cells, iphone_out, s);
    };
    auto cohort_step = [&] { d::launch_cohorts(cohort_in, cohort_out, s); };
    auto iphone_features = [&] {
      d::launch_features(iphone_out.mean, d_tail.data(), d_ema0.data(), kSeries, kBuckets, windows,
                         d_scratch.data(), d_features.data(), s);
    };
    auto cohort_features = [&] {
      d::launch_features(cohort_out.mean, d_tail.data(), d_ema0.data(), kCohorts, kBuckets, windows,
                         d_scratch.data(), d_cohort_features.data(), s);
    };
    const double aggregate_ms = time_ms(s, aggregate);
    const double cohorts_ms = time_ms(s, cohort_step);
    const double features_ms = time_ms(s, iphone_features);
    const double cohort_features_ms = time_ms(s, cohort_features);
    const double whole_ms = time_ms(s, [&] {
      aggregate();
      cohort_step();
      iphone_features();
      cohort_features();
    });

    // The bandwidth floor: a device-to-device copy of the cube, bytes read plus bytes written.
    d::DeviceBuffer<double> d_copy(cube.price.size());
    const double copy_ms = time_ms(s, [&] {
      d::check(cudaMemcpyAsync(d_copy.data(), d_cube.data(), d_cube.bytes(), cudaMemcpyDeviceToDevice, s),
               "copy");
    });
    const double bandwidth = 2.0 * static_cast<double>(d_cube.bytes()) / (copy_ms * 1e-3);
    // Fewest bytes the computation must move: the cube and profile weights in; the iPhones' stats and
    // profile prices out; the means in again for features, 21 feature columns out; the cohorts alike.
    const double bytes = static_cast<double>(cube.price.size()) * 8 + cells * (4 * 8 + 2 * 2) +
                         kProfiles * cells * 8.0 + cells * 8.0 + 21.0 * cells * 8 +
                         cohort_cells * (4 * 8 + 2 * 2) + cohort_cells * 8.0 + 21.0 * cohort_cells * 8;
    const double floor_ms = bytes / bandwidth * 1e3;

    // Through the host interface: pinned staging and transfers included.
    auto backend = compute::make_backend("cuda:0");
    domain::FeatureParams params{{8, 60, 120}, 2.0};
    auto end_to_end = [&](compute::Backend& b) {
      compute::ProfilePrices pp;
      compute::FeatureCarry carry, cohort_carry;
      auto st = b.aggregate(cube, domain::AggregateParams{0.25}, profiles, &pp);
      auto co = b.cohorts(st, pp, cohorts);
      b.features(st, carry, params);
      b.features(co, cohort_carry, params);
    };
    end_to_end(*backend);  // warm-up: allocations
    const double host_s = host_seconds([&] { end_to_end(*backend); });
    double cpu_s = -1;
    if (with_cpu) {
      auto cpu = compute::make_cpu_backend();
      cpu_s = host_seconds([&] { end_to_end(*cpu); });
    }

    char json[2048];
    std::snprintf(
        json, sizeof json,
        "{\"device\": \"%s\", \"series\": %zu, \"buckets\": %zu, \"shops\": %zu, \"profiles\": %zu, "
        "\"cohorts\": %zu, \"windows\": [8, 60, 120], \"aggregate_ms\": %.4f, \"cohorts_ms\": %.4f, "
        "\"features_ms\": %.4f, \"cohort_features_ms\": %.4f, \"whole_ms\": %.4f, \"copy_ms\": %.4f, "
        "\"copy_bytes\": %zu, \"bandwidth_gbs\": %.1f, \"min_bytes\": %.0f, \"floor_ms\": %.4f, "
        "\"whole_over_floor\": %.2f, \"host_interface_s\": %.3f, \"cpu_backend_s\": %.3f}",
        prop.name, kSeries, kBuckets, kShops, kProfiles, kCohorts, aggregate_ms, cohorts_ms, features_ms,
        cohort_features_ms, whole_ms, copy_ms, d_cube.bytes(), bandwidth / 1e9, bytes, floor_ms,
        whole_ms / floor_ms, host_s, cpu_s);
    std::printf("%s\n", json);
    std::printf(
        "gpu_bench on %s: whole %.3f ms (aggregate %.3f, cohorts %.3f, features %.3f + %.3f), floor %.3f ms "
        "(copy %.0f GB/s), %.2fx the floor; host interface %.3f s%s\n",
        prop.name, whole_ms, aggregate_ms, cohorts_ms, features_ms, cohort_features_ms, floor_ms,
        bandwidth / 1e9, whole_ms / floor_ms, host_s,
        cpu_s >= 0 ? (", cpu backend " + std::to_string(cpu_s) + " s").c_str() : "");
    if (!json_path.empty()) {
      std::ofstream(json_path) << json << "\n";
    }
    return 0;
  } catch (const std::exception& e) {
    std::fprintf(stderr, "gpu_bench: %s\n", e.what());
    return 2;
  }
}
