// The generator's random numbers: xoshiro256** seeded through splitmix64, with our own transforms to
// uniform and normal values. Only integer operations and IEEE +,-,*,/ are used (no libm, no std::
// distributions), so a seed yields the same rows with every compiler and standard library.
#pragma once

#include <cstdint>

namespace ypa::datagen {

// splitmix64 (Steele, Lea, Flood 2014): expands one 64-bit seed into well-mixed words.
constexpr std::uint64_t splitmix64(std::uint64_t& state) {
  std::uint64_t z = (state += 0x9e3779b97f4a7c15ULL);
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
  return z ^ (z >> 31);
}

// One word from a seed and a stream number: independent streams (per shop, per day, ...) keep a value
// stable when unrelated flags change, e.g. the first day's rows do not depend on --to.
constexpr std::uint64_t mix_seed(std::uint64_t seed, std::uint64_t stream) {
  std::uint64_t state = seed ^ (stream * 0xd1b54a32d192ed03ULL);
  splitmix64(state);
  return splitmix64(state);
}

// xoshiro256** 1.0 (Blackman, Vigna 2018).
class Rng {
 public:
  explicit Rng(std::uint64_t seed) {
    std::uint64_t state = seed;
    for (auto& word : s_) word = splitmix64(state);
  }
  Rng(std::uint64_t seed, std::uint64_t stream) : Rng(mix_seed(seed, stream)) {}

  std::uint64_t next() {
    const std::uint64_t result = rotl(s_[1] * 5, 7) * 9;
    const std::uint64_t t = s_[1] << 17;
    s_[2] ^= s_[0];
    s_[3] ^= s_[1];
    s_[1] ^= s_[2];
    s_[0] ^= s_[3];
    s_[2] ^= t;
    s_[3] = rotl(s_[3], 45);
    return result;
  }

  // Uniform in [0, 1) with 53 random bits.
  double uniform() { return static_cast<double>(next() >> 11) * 0x1.0p-53; }
  double uniform(double low, double high) { return low + (high - low) * uniform(); }
  // Uniform integer in [0, n) for 0 < n < 2^53.
  std::uint64_t below(std::uint64_t n) {
    return static_cast<std::uint64_t>(uniform() * static_cast<double>(n));
  }
  bool chance(double p) { return uniform() < p; }
  // Approximately standard normal: the Irwin-Hall sum of 12 uniforms minus 6. Exact arithmetic, and
  // bounded to +-6, which keeps random walks free of absurd single steps.
  double normal() {
    double sum = 0;
    for (int i = 0; i < 12; ++i) sum += uniform();
    return sum - 6.0;
  }
  double normal(double mean, double sd) { return mean + sd * normal(); }

 private:
  static constexpr std::uint64_t rotl(std::uint64_t x, int k) { return (x << k) | (x >> (64 - k)); }
  std::uint64_t s_[4];
};

}  // namespace ypa::datagen
