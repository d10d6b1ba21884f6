// The vocabulary of access decisions: the reason codes of docs/decisions.md, the
// request a reader's badge read becomes, and the decision with the side effects
// the controller must persist.
//
// A Decision holds its texts in fixed buffers, so deciding allocates nothing and
// a Decision can be copied to another thread (the event writer) as it is.
//
// Thread safety: plain values.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "base/clock.h"
#include "readers/wiegand.h"

namespace gatehouse::controller::access {

using DoorIndex = std::uint32_t;

// In the order of the checks (docs/decisions.md); the two grants last.
enum class Reason : std::uint8_t {
  kBadFormat,
  kUnknownCredential,
  kBadgeRevoked,
  kBadgeSuspended,
  kBadgeNotActive,
  kPersonInactive,
  kNotYetValid,
  kExpired,
  kLockdown,
  kDoorLocked,
  kRestrictedArea,
  kNoAccess,
  kOutsideSchedule,
  kEscortRequired,
  kPinLockedOut,
  kPinRequired,
  kWrongPin,
  kAntiPassback,
  kTwoPersonPending,
  kGranted,
  kGrantedPassbackLogged,
};

inline constexpr std::array<Reason, 21> kAllReasons = {
    Reason::kBadFormat,       Reason::kUnknownCredential, Reason::kBadgeRevoked,
    Reason::kBadgeSuspended,  Reason::kBadgeNotActive,    Reason::kPersonInactive,
    Reason::kNotYetValid,     Reason::kExpired,           Reason::kLockdown,
    Reason::kDoorLocked,      Reason::kRestrictedArea,  Reason::kNoAccess,          Reason::kOutsideSchedule,
    Reason::kEscortRequired,  Reason::kPinLockedOut,      Reason::kPinRequired,
    Reason::kWrongPin,        Reason::kAntiPassback,      Reason::kTwoPersonPending,
    Reason::kGranted,         Reason::kGrantedPassbackLogged,
};

// The code recorded with the event, exactly as docs/decisions.md spells it.
std::string_view reason_code(Reason reason);
// The inverse of reason_code.
std::optional<Reason> parse_reason_code(std::string_view code);
inline bool is_grant(Reason reason) {
  return reason == Reason::kGranted || reason == Reason::kGrantedPassbackLogged;
}

// Text of at most N characters held inline; longer input is cut at N.
template <std::size_t N>
class InlineText {
 public:
  void assign(std::string_view s) {
    size_ = static_cast<std::uint16_t>(s.size() < N ? s.size() : N);
    for (std::size_t i = 0; i < size_; ++i) data_[i] = s[i];
  }
  void push_back(char c) {
    if (size_ < N) data_[size_++] = c;
  }
  std::string_view view() const { return std::string_view(data_.data(), size_); }
  std::string str() const { return std::string(view()); }
  bool empty() const { return size_ == 0; }
  std::size_t size() const { return size_; }

 private:
  std::array<char, N> data_{};
  std::uint16_t size_ = 0;
};

// Door and reader ids have at most 64 characters (the site file's limit, which
// Snapshot::build also enforces); a key is "128:" and 32 hex digits at most.
using IdText = InlineText<64>;
using KeyText = InlineText<40>;
using BitsText = InlineText<readers::kMaxCardBits>;

struct DecisionRequest {
  DoorIndex door = 0;                // Snapshot::find_door or find_door_by_reader
  readers::RawCard card;             // the read as the reader delivered it
  std::optional<std::string> pin;    // keypad digits; nullopt or empty: none entered
  WallTime at;                       // when the badge was presented, stamped by the caller
};

// What the controller must write back to the database after a decision. The
// engine already applied it to its own state; nothing here is optional to persist.
// The engine's PIN rule is the database's (db::record_pin_result): a right PIN
// clears the count, a wrong one adds one, the pin_attempts-th locks the badge
// out and starts the count again.
struct DecisionEffects {
  // A PIN check changed the badge's PIN state: record_pin_result(badge_id,
  // pin_ok, at) in the database. The fields below are the state the engine now
  // holds (and the database will compute).
  bool pin_state_changed = false;
  bool pin_ok = false;
  int pin_failures = 0;
  std::optional<WallTime> pin_locked_until;
  // Set on every grant: the badge's new last_used_at (touch_last_used).
  std::optional<WallTime> last_used_at;
};

struct Decision {
  bool granted = false;
  Reason reason = Reason::kBadFormat;
  WallTime at;
  DoorIndex door = 0;
  IdText door_id;
  IdText reader_id;
  std::int64_t badge_id = 0;   // 0: no badge matched (bad_format, unknown_credential)
  std::int64_t person_id = 0;  // 0: no badge matched
  // A grant that completed the two-person rule: the holder of the first badge,
  // who enters with this one. 0 otherwise.
  std::int64_t companion_person_id = 0;
  KeyText credential;  // canonical key text, e.g. "26:1204D2"; empty for bad_format
  BitsText raw_bits;   // the read, "0101..." first bit first (at most 128 bits shown)
  DecisionEffects effects;
};

}  // namespace gatehouse::controller::access
