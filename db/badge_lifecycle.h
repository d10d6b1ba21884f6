// The badge lifecycle as an explicit state machine: the states (BadgeState,
// db/access_data.h), the actions an operator (or the system) takes, and the
// one table of allowed transitions. docs/badges.md is the reference.
//
//   issued    --activate-->  active
//   active    --suspend--->  suspended
//   suspended --reinstate->  active
//   issued | active | suspended --revoke--> revoked   (final)
//
// The database holds every writer to the same table (the badges_lifecycle
// trigger of 0002_access.sql); this file lets callers refuse early with a
// message that says what to do instead.
//
// Thread safety: pure functions.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "db/access_data.h"

namespace gatehouse::db {

enum class BadgeAction { kActivate, kSuspend, kReinstate, kRevoke };

// The state `action` leads to from `from`; nullopt when the lifecycle
// does not allow it.
std::optional<BadgeState> next_state(BadgeState from, BadgeAction action);

// "activate", "suspend", "reinstate", "revoke".
std::string_view to_string(BadgeAction action);

// Inverses of the to_string()s: the exact lowercase words, else nullopt.
std::optional<BadgeState> parse_badge_state(std::string_view text);
std::optional<BadgeAction> parse_badge_action(std::string_view text);

// Why `action` is refused for badge `badge_id` in state `from`, and what to
// do instead, e.g. "badge 17 is revoked; a revoked badge cannot be
// reactivated: issue a new badge". Only meaningful when next_state() is nullopt.
std::string describe_refusal(std::int64_t badge_id, BadgeState from, BadgeAction action);

}  // namespace gatehouse::db
