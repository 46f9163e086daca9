// Adder graphs for constant matrix-vector products (adder_graph.hpp; docs/export-hls.md,
// "Adder graphs"): canonical signed digits, greedy extraction of the most frequent two-term
// pattern, then a depth-ordered tree per output.

#include "adder_graph.hpp"

#include <algorithm>
#include <map>
#include <mutex>
#include <set>
#include <tuple>
#include <unordered_map>
#include <utility>

#include "hlslim/util/errors.hpp"

namespace hlslim::hls_detail {
namespace {

// One signed, shifted signal in an output's sum.
struct Term {
  int signal;
  int shift;
  int sign;  // +1 or -1
};

// A two-term pattern: first + rel * (second << distance), the first term the one with the
// lower shift (on equal shifts the lower signal).
struct Pattern {
  int first, second, distance, rel;
  bool operator<(const Pattern& o) const {
    return std::tie(first, second, distance, rel) < std::tie(o.first, o.second, o.distance, o.rel);
  }
  bool operator==(const Pattern& o) const {
    return first == o.first && second == o.second && distance == o.distance && rel == o.rel;
  }
};

struct PatternHash {
  std::size_t operator()(const Pattern& p) const {
    std::uint64_t h = static_cast<std::uint64_t>(p.first) * 0x9E3779B97F4A7C15ULL;
    h ^= static_cast<std::uint64_t>(p.second) * 0xC2B2AE3D27D4EB4FULL + (h << 6) + (h >> 2);
    h ^= static_cast<std::uint64_t>(p.distance * 2 + (p.rel > 0 ? 1 : 0)) * 0x165667B19E3779F9ULL;
    return static_cast<std::size_t>(h);
  }
};

Pattern pattern_of(const Term& t, const Term& u) {
  const bool t_first = t.shift < u.shift || (t.shift == u.shift && t.signal < u.signal);
  const Term& f = t_first ? t : u;
  const Term& s = t_first ? u : t;
  return {f.signal, s.signal, s.shift - f.shift, f.sign * s.sign};
}

// Canonical signed digits of v: (position, sign) from the lowest digit up.
std::vector<std::pair<int, int>> csd_digits(std::int64_t v) {
  std::vector<std::pair<int, int>> digits;
  const int sign = v < 0 ? -1 : 1;
  unsigned __int128 n = static_cast<unsigned __int128>(v < 0 ? -static_cast<__int128>(v) : v);
  for (int position = 0; n != 0; ++position, n >>= 1) {
    if ((n & 1) == 0) continue;
    const bool minus = (n & 3) == 3;  // ...11: digit -1, carry up
    n = minus ? n + 1 : n - 1;
    digits.emplace_back(position, minus ? -sign : sign);
  }
  return digits;
}

using Coefficients = std::vector<std::pair<int, __int128>>;  // input -> coefficient, sorted

class Builder {
 public:
  Builder(int inputs, std::int64_t in_lo, std::int64_t in_hi) : in_lo_(in_lo), in_hi_(in_hi) {
    g_.inputs = inputs;
    for (int i = 0; i < inputs; ++i) {
      coefficients_.push_back({{i, 1}});
      g_.lo.push_back(in_lo);
      g_.hi.push_back(in_hi);
      g_.depth.push_back(0);
    }
  }

  // The signal a + rel * (b << d), shared with an identical adder built before.
  int adder(int a, int b, int d, int rel) {
    const Pattern key{a, b, d, rel};
    const auto found = nodes_.find(key);
    if (found != nodes_.end()) return found->second;
    Coefficients c;
    const __int128 scale = static_cast<__int128>(1) << d;
    const Coefficients& ca = coefficients_[static_cast<std::size_t>(a)];
    const Coefficients& cb = coefficients_[static_cast<std::size_t>(b)];
    std::size_t i = 0, j = 0;
    while (i < ca.size() || j < cb.size()) {
      if (j == cb.size() || (i < ca.size() && ca[i].first < cb[j].first)) {
        c.push_back(ca[i++]);
      } else if (i == ca.size() || cb[j].first < ca[i].first) {
        c.emplace_back(cb[j].first, rel * cb[j].second * scale);
        ++j;
      } else {
        const __int128 v = ca[i].second + rel * cb[j].second * scale;
        if (v != 0) c.emplace_back(ca[i].first, v);
        ++i;
        ++j;
      }
    }
    __int128 lo = 0, hi = 0;
    for (const auto& [input, k] : c) {
      const __int128 x = k * in_lo_, y = k * in_hi_;
      lo += std::min(x, y);
      hi += std::max(x, y);
    }
    constexpr __int128 kLimit = static_cast<__int128>(1) << 62;
    if (lo < -kLimit || hi > kLimit) {
      throw Error("an adder-graph signal needs more than 62 bits");
    }
    const int id = static_cast<int>(coefficients_.size());
    coefficients_.push_back(std::move(c));
    g_.adders.push_back({a, b, d, rel < 0});
    g_.lo.push_back(static_cast<std::int64_t>(lo));
    g_.hi.push_back(static_cast<std::int64_t>(hi));
    g_.depth.push_back(
        1 + std::max(g_.depth[static_cast<std::size_t>(a)], g_.depth[static_cast<std::size_t>(b)]));
    nodes_.emplace(key, id);
    return id;
  }

  // Two terms joined: the result term at the lower shift with the first term's sign.
  Term join(const Term& t, const Term& u) {
    const bool t_first = t.shift < u.shift || (t.shift == u.shift && t.signal < u.signal);
    const Term& f = t_first ? t : u;
    const Pattern p = pattern_of(t, u);
    return {adder(p.first, p.second, p.distance, p.rel), f.shift, f.sign};
  }

  AdderGraph& graph() { return g_; }

 private:
  AdderGraph g_;
  std::int64_t in_lo_, in_hi_;
  std::vector<Coefficients> coefficients_;
  std::map<Pattern, int> nodes_;
};

// Pattern counts with the patterns that occur at least twice ordered by count (the highest
// first, then the smallest pattern), so that the best one is found without a scan.
class PatternCounts {
 public:
  void add(const Pattern& p, std::int64_t delta) {
    const auto it = counts_.find(p);
    const std::int64_t old = it == counts_.end() ? 0 : it->second;
    const std::int64_t now = old + delta;
    if (old >= 2) ranked_.erase({-old, p});
    if (now >= 2) ranked_.insert({-now, p});
    if (now <= 0) {
      if (it != counts_.end()) counts_.erase(it);
    } else if (it != counts_.end()) {
      it->second = now;
    } else {
      counts_.emplace(p, now);
    }
  }
  /// The most frequent pattern not in `refused`, occurring at least twice; nullptr if none.
  const Pattern* best(const std::set<Pattern>& refused) const {
    for (const auto& [negative_count, p] : ranked_) {
      if (refused.count(p) == 0) return &p;
    }
    return nullptr;
  }

 private:
  std::unordered_map<Pattern, std::int64_t, PatternHash> counts_;
  std::set<std::pair<std::int64_t, Pattern>> ranked_;
};

// The disjoint occurrences of `p` in one output's terms, pairs (first, second) of indices,
// from the lowest shift of the first term up.
std::vector<std::pair<std::size_t, std::size_t>> occurrences(const std::vector<Term>& terms,
                                                             const Pattern& p) {
  std::vector<std::size_t> firsts, seconds;
  for (std::size_t i = 0; i < terms.size(); ++i) {
    if (terms[i].signal == p.first) firsts.push_back(i);
    if (terms[i].signal == p.second) seconds.push_back(i);
  }
  std::vector<std::pair<std::size_t, std::size_t>> found;
  if (firsts.empty() || seconds.empty()) return found;
  std::sort(firsts.begin(), firsts.end(),
            [&](std::size_t a, std::size_t b) { return terms[a].shift < terms[b].shift; });
  std::vector<bool> used(terms.size(), false);
  for (std::size_t i : firsts) {
    if (used[i]) continue;
    for (std::size_t j : seconds) {
      if (j == i || used[j]) continue;
      const bool i_first = terms[i].shift < terms[j].shift ||
                           (terms[i].shift == terms[j].shift && terms[i].signal < terms[j].signal);
      if (i_first && pattern_of(terms[i], terms[j]) == p) {
        used[i] = used[j] = true;
        found.emplace_back(i, j);
        break;
      }
    }
  }
  return found;
}

// Greedy common-subexpression extraction over the outputs' term lists.
void extract_patterns(Builder& builder, std::vector<std::vector<Term>>& sums) {
  PatternCounts counts;
  for (const std::vector<Term>& terms : sums) {
    for (std::size_t i = 0; i < terms.size(); ++i) {
      for (std::size_t j = i + 1; j < terms.size(); ++j)
        counts.add(pattern_of(terms[i], terms[j]), 1);
    }
  }
  std::set<Pattern> refused;  // counted twice only through overlapping pairs
  for (;;) {
    const Pattern* best = counts.best(refused);
    if (best == nullptr) return;
    const Pattern p = *best;
    std::vector<std::vector<std::pair<std::size_t, std::size_t>>> found(sums.size());
    std::size_t total = 0;
    for (std::size_t o = 0; o < sums.size(); ++o) {
      found[o] = occurrences(sums[o], p);
      total += found[o].size();
    }
    if (total < 2) {
      refused.insert(p);
      continue;
    }
    const int node = builder.adder(p.first, p.second, p.distance, p.rel);
    for (std::size_t o = 0; o < sums.size(); ++o) {
      if (found[o].empty()) continue;
      std::vector<Term>& terms = sums[o];
      std::vector<bool> removed(terms.size(), false);
      std::vector<Term> added;
      for (const auto& [i, j] : found[o]) {
        removed[i] = removed[j] = true;
        added.push_back({node, terms[i].shift, terms[i].sign});
      }
      // Uncount every pair that involves a removed term, once.
      for (std::size_t i = 0; i < terms.size(); ++i) {
        if (!removed[i]) continue;
        for (std::size_t j = 0; j < terms.size(); ++j) {
          if (j == i || (removed[j] && j < i)) continue;
          counts.add(pattern_of(terms[i], terms[j]), -1);
        }
      }
      std::vector<Term> kept;
      for (std::size_t i = 0; i < terms.size(); ++i) {
        if (!removed[i]) kept.push_back(terms[i]);
      }
      for (const Term& t : added) {
        for (const Term& u : kept) counts.add(pattern_of(t, u), 1);
        kept.push_back(t);
      }
      terms = std::move(kept);
    }
  }
}

// Sums an output's terms, always joining the two shallowest (the earliest on a tie).
AdderGraph::Output sum_terms(Builder& builder, std::vector<Term> terms) {
  if (terms.empty()) return {};
  const AdderGraph& g = builder.graph();
  std::sort(terms.begin(), terms.end(), [&](const Term& a, const Term& b) {
    const int da = g.depth[static_cast<std::size_t>(a.signal)];
    const int db = g.depth[static_cast<std::size_t>(b.signal)];
    return std::tie(da, a.shift, a.signal) < std::tie(db, b.shift, b.signal);
  });
  // (depth, order) -> term
  std::map<std::pair<int, int>, Term> queue;
  int order = 0;
  for (const Term& t : terms) {
    queue.emplace(std::make_pair(g.depth[static_cast<std::size_t>(t.signal)], order++), t);
  }
  while (queue.size() > 1) {
    const Term t = queue.begin()->second;
    queue.erase(queue.begin());
    const Term u = queue.begin()->second;
    queue.erase(queue.begin());
    const Term joined = builder.join(t, u);
    queue.emplace(std::make_pair(g.depth[static_cast<std::size_t>(joined.signal)], order++),
                  joined);
  }
  const Term& t = queue.begin()->second;
  return {t.signal, t.shift, t.sign < 0};
}

}  // namespace

int AdderGraph::signed_bits(std::int64_t lo, std::int64_t hi) {
  int bits = 1;
  while (bits < 64) {
    const std::int64_t min = -(std::int64_t{1} << (bits - 1));
    const std::int64_t max = (std::int64_t{1} << (bits - 1)) - 1;
    if (lo >= min && hi <= max) break;
    ++bits;
  }
  return bits;
}

int AdderGraph::adder_width(std::size_t k) const {
  const std::size_t s = static_cast<std::size_t>(inputs) + k;
  return std::max(1, signed_bits(lo[s], hi[s]) - adders[k].shift);
}

int AdderGraph::max_depth() const {
  int d = 0;
  for (const Output& o : outputs) {
    if (o.signal >= 0) d = std::max(d, depth[static_cast<std::size_t>(o.signal)]);
  }
  return d;
}

AdderGraph build_adder_graph(const std::vector<std::int64_t>& matrix, int rows, int cols,
                             std::int64_t in_lo, std::int64_t in_hi) {
  Builder builder(cols, in_lo, in_hi);
  std::vector<std::vector<Term>> sums(static_cast<std::size_t>(rows));
  for (int r = 0; r < rows; ++r) {
    for (int c = 0; c < cols; ++c) {
      const std::int64_t w = matrix[static_cast<std::size_t>(r) * static_cast<std::size_t>(cols) +
                                    static_cast<std::size_t>(c)];
      for (const auto& [position, sign] : csd_digits(w))
        sums[static_cast<std::size_t>(r)].push_back({c, position, sign});
    }
  }
  extract_patterns(builder, sums);
  std::vector<AdderGraph::Output> outputs;
  for (std::vector<Term>& terms : sums) outputs.push_back(sum_terms(builder, std::move(terms)));
  AdderGraph g = std::move(builder.graph());
  g.outputs = std::move(outputs);
  return g;
}

std::int64_t csd_additions(const std::vector<std::int64_t>& matrix, int rows, int cols) {
  std::int64_t additions = 0;
  for (int r = 0; r < rows; ++r) {
    std::int64_t digits = 0;
    for (int c = 0; c < cols; ++c) {
      digits += static_cast<std::int64_t>(
          csd_digits(matrix[static_cast<std::size_t>(r) * static_cast<std::size_t>(cols) +
                            static_cast<std::size_t>(c)])
              .size());
    }
    additions += std::max<std::int64_t>(0, digits - 1);
  }
  return additions;
}

std::int64_t csd_digit_count(const std::vector<std::int64_t>& matrix) {
  std::int64_t digits = 0;
  for (const std::int64_t w : matrix) digits += static_cast<std::int64_t>(csd_digits(w).size());
  return digits;
}

AdderGraph cached_adder_graph(const std::vector<std::int64_t>& matrix, int rows, int cols,
                              std::int64_t in_lo, std::int64_t in_hi) {
  using Key = std::tuple<std::vector<std::int64_t>, int, int, std::int64_t, std::int64_t>;
  static std::mutex mutex;
  static std::map<Key, AdderGraph> cache;
  constexpr std::size_t kKept = 64;
  Key key(matrix, rows, cols, in_lo, in_hi);
  {
    const std::lock_guard<std::mutex> lock(mutex);
    const auto it = cache.find(key);
    if (it != cache.end()) return it->second;
  }
  AdderGraph g = build_adder_graph(matrix, rows, cols, in_lo, in_hi);
  const std::lock_guard<std::mutex> lock(mutex);
  if (cache.size() >= kKept) cache.clear();
  cache.emplace(std::move(key), g);
  return g;
}

}  // namespace hlslim::hls_detail
