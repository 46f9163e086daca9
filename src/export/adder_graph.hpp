#pragma once

// Internal to the HLS export: a constant matrix-vector product y = W x as one shift-and-add
// graph (docs/export-hls.md, "Adder graphs"). Every weight's raw integer is written in
// canonical signed digits, each output is a sum of signed, shifted inputs, and the most
// frequent two-term pattern x_a << s +- x_b << (s + d) (counted up to a common shift over all
// outputs) becomes a shared intermediate signal until no pattern occurs twice; each output's
// remaining terms are then summed by a tree that joins the two shallowest terms first.

#include <cstdint>
#include <vector>

namespace hlslim::hls_detail {

/// The graph over raw integers: signal i < inputs is input i; signal inputs + k is adder k.
/// Every range is exact for inputs that take any raw in [in_lo, in_hi] independently.
struct AdderGraph {
  /// value = a + b * 2^shift (subtract: a - b * 2^shift), shift >= 0.
  struct Adder {
    int a = 0, b = 0;
    int shift = 0;
    bool subtract = false;
  };
  /// An output's sum: (negative ? -1 : 1) * signal * 2^shift; signal -1: the sum is 0.
  struct Output {
    int signal = -1;
    int shift = 0;
    bool negative = false;
  };

  int inputs = 0;
  std::vector<Adder> adders;
  std::vector<Output> outputs;
  /// Per signal (inputs, then adders): smallest and largest value, adders on the longest path
  /// from an input.
  std::vector<std::int64_t> lo, hi;
  std::vector<int> depth;

  /// Bits of a two's-complement integer that holds every value in [lo, hi] (at least 1).
  static int signed_bits(std::int64_t lo, std::int64_t hi);
  /// The adder's width as the estimates count it: its result's bits less the `shift` low bits
  /// that come from `a` alone (at least 1).
  int adder_width(std::size_t k) const;
  /// Adders on the longest path to any output.
  int max_depth() const;
};

/// Builds the graph of `rows` outputs over `cols` inputs from the row-major raw `matrix`
/// (rows x cols), inputs ranging over [in_lo, in_hi]. Deterministic: ties between patterns go
/// to the smallest (first signal, second signal, distance, sign), between tree terms to the
/// earliest. Throws hlslim::Error when a signal's range passes 62 bits.
AdderGraph build_adder_graph(const std::vector<std::int64_t>& matrix, int rows, int cols,
                             std::int64_t in_lo, std::int64_t in_hi);

/// Above this many canonical signed digits in a layer's weights (the graph's starting terms),
/// build_adder_graph() would take too long (its pattern counts grow with the square of the
/// terms per output): such layers keep csd products.
constexpr std::int64_t kMaxAdderGraphTerms = 32768;

/// The nonzero canonical signed digits of all the raws in `matrix`.
std::int64_t csd_digit_count(const std::vector<std::int64_t>& matrix);

/// build_adder_graph(), remembering the last graphs built in this process (thread-safe), so that
/// an export that plans the same layer for its estimates and for its code builds it once.
AdderGraph cached_adder_graph(const std::vector<std::int64_t>& matrix, int rows, int cols,
                              std::int64_t in_lo, std::int64_t in_hi);

/// The number of additions of the canonical-signed-digit form of the same matrix without
/// sharing: per output, (nonzero digits over its weights) - 1 (0 without digits).
std::int64_t csd_additions(const std::vector<std::int64_t>& matrix, int rows, int cols);

}  // namespace hlslim::hls_detail
