#pragma once

#include <cmath>
#include <cstdint>
#include <utility>
#include <vector>

namespace hlslim::data {

/// The splitmix64 finaliser: a bijective mix of 64 bits in which every input bit affects every
/// output bit. Never fails.
constexpr std::uint64_t mix64(std::uint64_t x) noexcept {
  x += 0x9E3779B97F4A7C15ULL;
  x = (x ^ (x >> 30)) * 0xBF58476D1CE4E5B9ULL;
  x = (x ^ (x >> 27)) * 0x94D049BB133111EBULL;
  return x ^ (x >> 31);
}

/// The seed of the random stream of event `index` in a run seeded with `seed`. Streams of
/// different events are statistically independent, and an event's stream does not depend on
/// which thread simulates it, which is what makes simulation thread-count independent.
constexpr std::uint64_t event_seed(std::uint64_t seed, std::uint64_t index) noexcept {
  return mix64(mix64(seed) ^ mix64(index ^ 0xD1B54A32D192ED03ULL));
}

/// xoshiro256** (Blackman and Vigna), seeded through splitmix64. All transforms to uniform and
/// normal variates are written out here, so a given seed yields the same numbers with every
/// standard library (std:: distributions do not promise that).
class Rng {
 public:
  /// A generator whose whole state is derived from `seed`; never fails.
  explicit Rng(std::uint64_t seed) noexcept {
    std::uint64_t x = seed;
    for (auto& word : state_) {
      word = mix64(x);
      x += 0x9E3779B97F4A7C15ULL;
    }
  }

  /// The next 64 raw bits.
  std::uint64_t next() noexcept {
    const std::uint64_t result = rotl(state_[1] * 5, 7) * 9;
    const std::uint64_t t = state_[1] << 17;
    state_[2] ^= state_[0];
    state_[3] ^= state_[1];
    state_[1] ^= state_[2];
    state_[0] ^= state_[3];
    state_[2] ^= t;
    state_[3] = rotl(state_[3], 45);
    return result;
  }

  /// A uniform double in [0, 1) with 53 random bits.
  double uniform() noexcept { return static_cast<double>(next() >> 11) * 0x1.0p-53; }

  /// A uniform double in (0, 1]: safe to take the logarithm of.
  double uniform_positive() noexcept { return 1.0 - uniform(); }

  /// A uniform double in [lo, hi).
  double uniform(double lo, double hi) noexcept { return lo + (hi - lo) * uniform(); }

  /// A standard normal variate (Box-Muller; one of the pair is discarded so that every call
  /// consumes exactly two raw draws, which keeps streams easy to reason about).
  double normal() noexcept {
    const double radius = std::sqrt(-2.0 * std::log(uniform_positive()));
    return radius * std::cos(6.283185307179586 * uniform());
  }

  /// A uniform integer in [0, n); n must be positive. Draws below 2^64 mod n are rejected, so
  /// there is no modulo bias.
  std::uint64_t below(std::uint64_t n) noexcept {
    const std::uint64_t reject_below = (0 - n) % n;
    std::uint64_t x = next();
    while (x < reject_below) x = next();
    return x % n;
  }

  /// Shuffles `items` in place (Fisher-Yates with this generator: std::shuffle's output
  /// differs between standard libraries, this one is the same everywhere).
  template <typename T>
  void shuffle(std::vector<T>& items) noexcept {
    for (std::size_t i = items.size(); i > 1; --i) {
      std::swap(items[i - 1], items[static_cast<std::size_t>(below(i))]);
    }
  }

 private:
  static constexpr std::uint64_t rotl(std::uint64_t x, int k) noexcept {
    return (x << k) | (x >> (64 - k));
  }

  std::uint64_t state_[4];
};

}  // namespace hlslim::data
