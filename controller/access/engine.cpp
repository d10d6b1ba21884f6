#include "controller/access/engine.h"

#include <algorithm>
#include <map>
#include <string>
#include <utility>

#include "controller/access/pin.h"

namespace gatehouse::controller::access {
namespace {

constexpr std::array<std::string_view, 21> kCodes = {
    "bad_format",       "unknown_credential", "badge_revoked",  "badge_suspended",
    "badge_not_active", "person_inactive",    "not_yet_valid",  "expired",
    "lockdown",         "door_locked",        "restricted_area",    "no_access",      "outside_schedule",
    "escort_required",  "pin_locked_out",     "pin_required",   "wrong_pin",
    "anti_passback",    "two_person_pending", "granted",        "granted_passback_logged",
};

// readers::to_string(key) without the allocation: "<bits>:<hex>", no leading zeros.
void format_key(const readers::CredentialKey& key, KeyText& out) {
  char digits[8];
  int n = 0;
  for (unsigned v = key.bit_count; n == 0 || v != 0; v /= 10) digits[n++] = static_cast<char>('0' + v % 10);
  while (n > 0) out.push_back(digits[--n]);
  out.push_back(':');
  static constexpr char kHex[] = "0123456789ABCDEF";
  bool started = false;
  for (int d = 31; d >= 0; --d) {
    std::uint64_t word = d >= 16 ? key.payload[0] : key.payload[1];
    unsigned nibble = static_cast<unsigned>((word >> ((d % 16) * 4)) & 0xF);
    if (nibble != 0) started = true;
    if (started || d == 0) out.push_back(kHex[nibble]);
  }
}

void format_bits(const readers::RawCard& card, BitsText& out) {
  int shown = std::min({card.bit_count, static_cast<int>(card.bits.size()) * 8, readers::kMaxCardBits});
  for (int i = 0; i < shown; ++i) out.push_back(card.bit(i) ? '1' : '0');
}

bool within_pair_window(std::int64_t earlier_us, std::int64_t later_us) {
  if (earlier_us == INT64_MIN) return false;
  std::int64_t delta = later_us - earlier_us;
  return delta >= 0 && delta <= kPairWindowUs;
}

Decision finish(Decision& d, Reason reason) {
  d.reason = reason;
  d.granted = is_grant(reason);
  return d;
}

}  // namespace

std::string_view reason_code(Reason reason) {
  auto i = static_cast<std::size_t>(reason);
  return i < kCodes.size() ? kCodes[i] : std::string_view("unknown");
}

std::optional<Reason> parse_reason_code(std::string_view code) {
  for (Reason r : kAllReasons) {
    if (reason_code(r) == code) return r;
  }
  return std::nullopt;
}

Engine::Engine(Snapshot snapshot) : snap_(std::move(snapshot)) { reset_transient_state(); }

void Engine::reset_transient_state() {
  escort_.assign(snap_.doors_.size(), EscortMemory{});
  pending_.assign(snap_.areas_.size(), PendingPair{});
}

void Engine::replace_snapshot(Snapshot next) {
  std::vector<std::uint16_t> area_map(snap_.areas_.size(), kNoArea);
  std::map<std::string_view, std::uint16_t> next_areas;
  for (std::size_t i = 0; i < next.areas_.size(); ++i) {
    next_areas.emplace(next.areas_[i].id, static_cast<std::uint16_t>(i));
  }
  for (std::size_t i = 0; i < snap_.areas_.size(); ++i) {
    auto it = next_areas.find(snap_.areas_[i].id);
    if (it != next_areas.end()) area_map[i] = it->second;
  }
  for (const PersonRec& p : snap_.people_) {
    if (!p.live || p.location == kNoArea) continue;
    std::uint32_t row = next.find_person_row(p.id);
    if (row != kNoRow) next.people_[row].location = area_map[p.location];
  }
  snap_ = std::move(next);
  reset_transient_state();
}

bool Engine::forgive(std::int64_t person_id) {
  std::uint32_t row = snap_.find_person_row(person_id);
  if (row == kNoRow) return false;
  snap_.people_[row].location = kNoArea;
  return true;
}

Reason Engine::check_levels(const PersonRec& person, const DoorRec& door, WallTime at) {
  const Grant* grants_begin = snap_.grants_.data() + door.grants_begin;
  const Grant* grants_end = snap_.grants_.data() + door.grants_end;
  const std::uint16_t* groups = snap_.group_pool_.data() + person.groups_begin;
  bool included = false;
  std::optional<LocalTime> local;
  for (std::uint16_t i = 0; i < person.groups_count; ++i) {
    std::uint16_t g = groups[i];
    const Grant* it = std::lower_bound(grants_begin, grants_end, g,
                                       [](const Grant& grant, std::uint16_t group) { return grant.group < group; });
    for (; it != grants_end && it->group == g; ++it) {
      included = true;
      if (!local) local = snap_.local_time_->to_local(at);
      if (snap_.schedules_[it->schedule].open_at(*local)) return Reason::kGranted;
    }
    // Both lists are sorted: later groups only search what is left.
    grants_begin = it;
  }
  return included ? Reason::kOutsideSchedule : Reason::kNoAccess;
}

bool Engine::host_granted_recently(const DoorRec& door, DoorIndex index, std::int64_t host_id,
                                   std::int64_t at_us) const {
  if (host_id == 0 || !door.visitor_escort) return false;
  for (const RecentGrant& g : escort_[index].grants) {
    if (g.person_id == host_id && within_pair_window(g.at_us, at_us)) return true;
  }
  return false;
}

Reason Engine::check_pin(BadgeRec& badge, const DecisionRequest& request, Decision& out) {
  std::int64_t at = request.at.us;
  if (at < badge.pin_locked_until_us) return Reason::kPinLockedOut;
  if (!request.pin || request.pin->empty()) return Reason::kPinRequired;
  // A badge without a PIN cannot pass a card-and-pin door. That is not a guess,
  // so it is not counted towards a lockout.
  if (badge.pin == kNoRow) return Reason::kWrongPin;
  auto record = [&](bool ok) {
    out.effects.pin_state_changed = true;
    out.effects.pin_ok = ok;
    out.effects.pin_failures = badge.pin_failures;
    if (badge.pin_locked_until_us != INT64_MIN) out.effects.pin_locked_until = WallTime{badge.pin_locked_until_us};
  };
  if (verify_pin(snap_.pin_hashes_[badge.pin], *request.pin)) {
    if (badge.pin_failures != 0 || badge.pin_locked_until_us != INT64_MIN) {
      badge.pin_failures = 0;
      badge.pin_locked_until_us = INT64_MIN;
      record(true);
    }
    return Reason::kGranted;
  }
  if (badge.pin_failures < 255) ++badge.pin_failures;
  if (badge.pin_failures >= snap_.pin_attempts_) {
    // Locked out: the count starts again when the lockout ends.
    badge.pin_failures = 0;
    badge.pin_locked_until_us = at + snap_.pin_lockout_us_;
  }
  record(false);
  return Reason::kWrongPin;
}

Result<Decision> Engine::decide(const DecisionRequest& request) {
  if (request.door >= snap_.doors_.size()) {
    return make_error(ErrorKind::kInvalidInput, "door index " + std::to_string(request.door) +
                                                    " is not a door of the snapshot");
  }
  const DoorRec& door = snap_.doors_[request.door];
  Decision d;
  d.at = request.at;
  d.door = request.door;
  d.door_id.assign(door.id);
  d.reader_id.assign(door.reader);
  format_bits(request.card, d.raw_bits);

  // 1. bad_format
  Result<readers::DecodedCard> decoded = readers::decode_card(request.card);
  if (!decoded.ok()) return finish(d, Reason::kBadFormat);
  const readers::CredentialKey& key = decoded->key;
  format_key(key, d.credential);

  // 2. unknown_credential
  std::uint32_t badge_row = snap_.find_badge_row(key);
  if (badge_row == kNoRow) return finish(d, Reason::kUnknownCredential);
  BadgeRec& badge = snap_.badges_[badge_row];
  PersonRec& person = snap_.people_[badge.person];
  d.badge_id = badge.id;
  d.person_id = person.id;

  // 3-5. the badge's own state
  switch (badge.badge_state()) {
    case db::BadgeState::kRevoked: return finish(d, Reason::kBadgeRevoked);
    case db::BadgeState::kSuspended: return finish(d, Reason::kBadgeSuspended);
    case db::BadgeState::kIssued: return finish(d, Reason::kBadgeNotActive);
    case db::BadgeState::kActive: break;
  }
  // 6. person_inactive
  if (!person.active) return finish(d, Reason::kPersonInactive);
  // 7-8. validity window, both ends inclusive
  if (request.at.us < badge.valid_from_us) return finish(d, Reason::kNotYetValid);
  if (request.at.us > badge.valid_until_us) return finish(d, Reason::kExpired);
  // 9. lockdown
  if (snap_.lockdown_active_ &&
      (snap_.lockdown_group_ == kNoGroup || !snap_.in_group(person, snap_.lockdown_group_))) {
    return finish(d, Reason::kLockdown);
  }
  // 10. the door is locked by an operator (only its allowed group passes)
  if (door.locked && (door.locked_group == kNoGroup || !snap_.in_group(person, door.locked_group))) {
    return finish(d, Reason::kDoorLocked);
  }
  // 10. restricted_area: before the levels, so a wrongly built level cannot open it
  const AreaRec& area = snap_.areas_[door.to_area];
  if (area.restricted) {
    bool allowed = false;
    if (!is_visitor(person)) {
      const std::uint64_t* words = snap_.allowed_bits_.data() + area.allowed_begin;
      const std::uint16_t* groups = snap_.group_pool_.data() + person.groups_begin;
      for (std::uint16_t i = 0; i < person.groups_count && !allowed; ++i) {
        allowed = (words[groups[i] / 64] >> (groups[i] % 64)) & 1U;
      }
    }
    if (!allowed) return finish(d, Reason::kRestrictedArea);
  }
  // 11-12. no_access, outside_schedule
  Reason levels = check_levels(person, door, request.at);
  if (levels != Reason::kGranted) return finish(d, levels);
  // 13. escort_required
  if (door.visitor_escort && is_visitor(person) &&
      !host_granted_recently(door, request.door, person.host_id, request.at.us)) {
    return finish(d, Reason::kEscortRequired);
  }
  // 14-16. pin_locked_out, pin_required, wrong_pin
  if (door.mode == site::DoorMode::kCardAndPin) {
    Reason pin = check_pin(badge, request, d);
    if (pin != Reason::kGranted) return finish(d, pin);
  }
  // 17. anti_passback
  bool passback = area.anti_passback != site::AntiPassback::kNone && person.location == door.to_area;
  if (passback && area.anti_passback == site::AntiPassback::kHard) return finish(d, Reason::kAntiPassback);
  // 18. two_person_pending
  if (area.two_person) {
    PendingPair& pending = pending_[door.to_area];
    if (pending.person == kNoRow || pending.person_id == person.id ||
        !within_pair_window(pending.at_us, request.at.us) ||
        snap_.find_person_row(pending.person_id) != pending.person) {
      pending = PendingPair{badge.person, person.id, request.at.us};
      return finish(d, Reason::kTwoPersonPending);
    }
    // The pair is complete: both enter.
    d.companion_person_id = pending.person_id;
    snap_.people_[pending.person].location = door.to_area;
    pending = PendingPair{};
  }

  // Granted: record where the holder is now and who passed an escort door.
  person.location = door.to_area;
  if (door.visitor_escort) {
    EscortMemory& memory = escort_[request.door];
    memory.grants[memory.next] = RecentGrant{person.id, request.at.us};
    memory.next = static_cast<std::uint8_t>((memory.next + 1) % memory.grants.size());
  }
  d.effects.last_used_at = request.at;
  return finish(d, passback ? Reason::kGrantedPassbackLogged : Reason::kGranted);
}

}  // namespace gatehouse::controller::access
