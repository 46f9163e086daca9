#pragma once

#include <cstddef>
#include <cstdint>
#include <cstring>

#include "hlslim/data/random.hpp"

// Internal to the data layer: the streaming 64-bit checksum of the events.hlsd format
// (docs/data-format.md gives the same definition for other implementations). It works on 8-byte
// little-endian words, so it runs at several GB/s, and any split of the input into update()
// calls gives the same value.
namespace hlslim::data::detail {

class Checksum {
 public:
  void update(const void* data, std::size_t n) {
    const auto* bytes = static_cast<const unsigned char*>(data);
    length_ += n;
    while (n > 0 && pending_ > 0) {
      buffer_[pending_++] = *bytes++;
      --n;
      if (pending_ == 8) {
        absorb(load(buffer_));
        pending_ = 0;
      }
    }
    for (; n >= 8; n -= 8, bytes += 8) absorb(load(bytes));
    for (; n > 0; --n) buffer_[pending_++] = *bytes++;
  }

  std::uint64_t value() const {
    std::uint64_t state = state_;
    if (pending_ > 0) {
      unsigned char tail[8] = {};
      std::memcpy(tail, buffer_, pending_);
      state = step(state, load(tail));
    }
    return mix64(state ^ length_);
  }

 private:
  static std::uint64_t load(const unsigned char* bytes) {
    std::uint64_t word;
    std::memcpy(&word, bytes, 8);
    return word;
  }
  static std::uint64_t step(std::uint64_t state, std::uint64_t word) {
    state ^= word * 0x9E3779B97F4A7C15ULL;
    state = (state << 29) | (state >> 35);
    return state * 0xBF58476D1CE4E5B9ULL;
  }
  void absorb(std::uint64_t word) { state_ = step(state_, word); }

  std::uint64_t state_ = 0x243F6A8885A308D3ULL;
  std::uint64_t length_ = 0;
  unsigned char buffer_[8] = {};
  std::size_t pending_ = 0;
};

}  // namespace hlslim::data::detail
