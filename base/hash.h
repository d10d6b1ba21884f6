// Small hashing helpers shared by the modules' hash tables.
#pragma once

#include <cstdint>

namespace gatehouse {

// splitmix64's finaliser: every input bit affects every output bit, so integer
// ids and packed credential bits spread evenly over a power-of-two table.
inline constexpr std::uint64_t mix64(std::uint64_t x) {
  x ^= x >> 30;
  x *= 0xBF58476D1CE4E5B9ULL;
  x ^= x >> 27;
  x *= 0x94D049BB133111EBULL;
  x ^= x >> 31;
  return x;
}

}  // namespace gatehouse
