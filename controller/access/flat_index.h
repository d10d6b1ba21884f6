// A flat open-addressing index from a 64-bit hash to a 32-bit row number, for the
// snapshot's tables (credential -> badge, badge id -> badge, person id -> person).
// The keys themselves stay in the rows: a slot holds the row number and the high
// half of the key's hash, so a probe that meets another key is rejected without
// touching its row (one cache miss per lookup in the common case). Linear probing
// with backward-shift deletion: no tombstones, so lookups never slow down after
// many updates. 8 bytes per slot, load kept at or under 70 %.
//
// The caller supplies, per call, `matches(row)` (is this row the key looked for?)
// and `hash_of(row)` (the hash of the key stored in a row; needed to move rows
// when growing or deleting).
//
// Thread safety: none; owned by one snapshot.
#pragma once

#include "base/hash.h"

#include <bit>
#include <cstddef>
#include <cstdint>
#include <vector>

namespace gatehouse::controller::access {

class FlatIndex {
 public:
  static constexpr std::uint32_t kNone = 0xFFFFFFFFU;

  // Room for n rows without growing.
  template <typename HashOf>
  void reserve(std::size_t n, HashOf&& hash_of) {
    std::size_t want = std::bit_ceil(n * 10 / 7 + 8);
    if (want > slots_.size()) rehash(want, hash_of);
  }

  template <typename Matches>
  std::uint32_t find(std::uint64_t hash, Matches&& matches) const {
    if (slots_.empty()) return kNone;
    std::uint32_t tag = tag_of(hash);
    for (std::size_t i = hash & mask_;; i = (i + 1) & mask_) {
      const Slot& s = slots_[i];
      if (s.row == kNone) return kNone;
      if (s.tag == tag && matches(s.row)) return s.row;
    }
  }

  // Precondition: no row with an equal key is in the index.
  template <typename HashOf>
  void insert(std::uint64_t hash, std::uint32_t row, HashOf&& hash_of) {
    if ((size_ + 1) * 10 > slots_.size() * 7) rehash(slots_.empty() ? 16 : slots_.size() * 2, hash_of);
    place(hash, row);
    ++size_;
  }

  // Removes the slot holding `row` (found by its key's hash); false when absent.
  template <typename HashOf>
  bool erase(std::uint64_t hash, std::uint32_t row, HashOf&& hash_of) {
    if (slots_.empty()) return false;
    std::size_t i = hash & mask_;
    for (;; i = (i + 1) & mask_) {
      if (slots_[i].row == kNone) return false;
      if (slots_[i].row == row) break;
    }
    // Backward shift: pull later members of the probe run into the hole when
    // their home slot is at or before it.
    std::size_t hole = i;
    for (std::size_t j = (hole + 1) & mask_;; j = (j + 1) & mask_) {
      Slot& s = slots_[j];
      if (s.row == kNone) break;
      std::size_t home = hash_of(s.row) & mask_;
      if (((j - home) & mask_) >= ((j - hole) & mask_)) {
        slots_[hole] = s;
        hole = j;
      }
    }
    slots_[hole] = Slot{};
    --size_;
    return true;
  }

  std::size_t size() const { return size_; }
  std::size_t memory_bytes() const { return slots_.capacity() * sizeof(Slot); }

 private:
  struct Slot {
    std::uint32_t tag = 0;
    std::uint32_t row = kNone;
  };

  static std::uint32_t tag_of(std::uint64_t hash) { return static_cast<std::uint32_t>(hash >> 32); }

  void place(std::uint64_t hash, std::uint32_t row) {
    std::size_t i = hash & mask_;
    while (slots_[i].row != kNone) i = (i + 1) & mask_;
    slots_[i] = Slot{tag_of(hash), row};
  }

  template <typename HashOf>
  void rehash(std::size_t capacity, HashOf& hash_of) {
    std::vector<Slot> old;
    old.swap(slots_);
    slots_.assign(capacity, Slot{});
    mask_ = capacity - 1;
    for (const Slot& s : old) {
      if (s.row != kNone) place(hash_of(s.row), s.row);
    }
  }

  std::vector<Slot> slots_;
  std::size_t mask_ = 0;
  std::size_t size_ = 0;
};

using gatehouse::mix64;

}  // namespace gatehouse::controller::access
