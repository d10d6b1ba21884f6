// Badges: issue, lifecycle transitions, PINs, use, automatic suspension, and
// the queries the security desk needs. Every operation is one transaction;
// every state change is recorded in badge_transitions with operator, time
// and reason (by the badges trigger, from set_change_context()).
// docs/badges.md is the reference for the rules.
//
// Thread safety: functions use only the caller's connection, and block.
#pragma once

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "base/clock.h"
#include "base/result.h"
#include "db/access_data.h"
#include "db/badge_lifecycle.h"
#include "db/pg.h"

namespace gatehouse::db {

// A badge as the security desk sees it (the PIN hash stays in the database).
struct BadgeInfo {
  std::int64_t id = 0;
  std::int64_t person_id = 0;
  std::string person_external_id;
  std::string person_name;
  std::string credential;  // canonical key text, e.g. "26:1204D2"
  std::string format;
  std::optional<std::int64_t> facility;     // printed on the card; display only
  std::optional<std::int64_t> card_number;  // printed on the card; display only
  BadgeState state = BadgeState::kIssued;
  std::optional<WallTime> valid_from;
  std::optional<WallTime> valid_until;
  bool has_pin = false;
  int pin_failures = 0;
  std::optional<WallTime> pin_locked_until;
  std::optional<WallTime> last_used_at;
  bool visitor_pass = false;
  WallTime created_at;
};

struct BadgeTransition {
  std::int64_t id = 0;
  std::int64_t badge_id = 0;
  std::optional<BadgeState> from;  // nullopt: the issue
  BadgeState to = BadgeState::kIssued;
  std::string operator_name;
  WallTime at;
  std::string reason;
};

// Issues a badge (state issued) to an active employee or contractor and
// returns its id. kNotFound: no such person; kConflict: the credential was
// ever used by any badge (revoked ones included), the person is terminated,
// or is a visitor (passes come from check-in); kInvalidInput: empty
// credential, format, operator or reason, valid_from not before valid_until.
Result<std::int64_t> issue_badge(Connection& conn, std::string_view person_external_id,
                                 std::string_view credential, std::string_view format,
                                 std::optional<std::int64_t> facility,
                                 std::optional<std::int64_t> card_number,
                                 std::optional<WallTime> valid_from,
                                 std::optional<WallTime> valid_until,
                                 std::string_view operator_name, std::string_view reason);

// Moves a badge along the lifecycle and returns its new state; the
// transition is recorded at `now`. kNotFound: no such badge; kConflict: the
// lifecycle refuses (describe_refusal()'s message), or activating/reinstating
// a badge of a terminated person.
Result<BadgeState> transition_badge(Connection& conn, std::int64_t badge_id, BadgeAction action,
                                    std::string_view operator_name, std::string_view reason,
                                    WallTime now);

// Sets (or with an empty hash, clears) the PIN: a libsodium
// crypto_pwhash_str string. Clears the failure count and any lockout;
// recorded in person_changes. kConflict for a revoked badge.
Status set_pin_hash(Connection& conn, std::int64_t badge_id, std::string_view pin_hash,
                    std::string_view operator_name);

struct PinState {
  int failures = 0;                      // consecutive wrong PINs after this one
  std::optional<WallTime> locked_until;  // end of the lockout in force, if any
  bool locked = false;                   // PIN entry is locked at `now`
};

// Records one PIN check at `now`, atomically (one UPDATE, so two controllers
// cannot lose a count): a right PIN clears the count; a wrong one adds one,
// and the attempts_limit-th consecutive one locks PIN entry until now +
// lockout and starts the count again. While locked, nothing changes (the
// decision engine refuses before checking a PIN). kNotFound: no such badge.
Result<PinState> record_pin_result(Connection& conn, std::int64_t badge_id, bool ok,
                                   int attempts_limit, std::chrono::minutes lockout, WallTime now);

// Sets last_used_at = now on the given badges, never moving it backwards
// (batches from several controllers may arrive out of order). Returns how
// many rows changed. Does not NOTIFY (see docs/schema.md).
Result<int> touch_last_used(Connection& conn, const std::vector<std::int64_t>& badge_ids,
                            WallTime now);

// Suspends every active badge unused for more than `days` days before `now`
// (last_used_at, or created_at when never used); each suspension recorded
// with `operator_name` (the scheduler passes "system") and the reason
// "not used for more than N days". days == 0 (off) does nothing. Returns the
// suspended badge ids, ascending.
Result<std::vector<std::int64_t>> suspend_unused(Connection& conn, int days, WallTime now,
                                                 std::string_view operator_name);

// nullopt when no badge has the credential.
Result<std::optional<BadgeInfo>> find_badge_by_credential(Connection& conn,
                                                          std::string_view credential);

struct BadgeFilter {
  std::string person_external_id;    // empty: every person
  std::optional<BadgeState> state;   // nullopt: every state
  std::optional<bool> visitor_pass;  // nullopt: both
  std::int64_t after_id = 0;         // paging: only badges with a larger id
  int limit = 1000;                  // 1..100000
};

// Badges matching `filter`, by id.
Result<std::vector<BadgeInfo>> list_badges(Connection& conn, const BadgeFilter& filter);

// Every transition of a badge, oldest first, the issue included. kNotFound
// when the badge does not exist.
Result<std::vector<BadgeTransition>> badge_history(Connection& conn, std::int64_t badge_id);

// ---- Building blocks for the other stores (people import, visits) ----
// They run inside the caller's open transaction, after set_change_context()
// (db/store_support.h) has said who, why and when.

// Inserts a badge (state issued; the trigger records the issue). kConflict
// with a clear message when the credential was ever used.
Result<std::int64_t> insert_badge(Connection& conn, std::int64_t person_id,
                                  std::string_view credential, std::string_view format,
                                  std::optional<std::int64_t> facility,
                                  std::optional<std::int64_t> card_number,
                                  std::optional<WallTime> valid_from,
                                  std::optional<WallTime> valid_until, bool visitor_pass);

// Locks the badge row, checks the lifecycle, applies the action.
Result<BadgeState> apply_badge_action(Connection& conn, std::int64_t badge_id, BadgeAction action);

// Revokes every badge of a person that is not revoked yet; returns their ids.
Result<std::vector<std::int64_t>> revoke_person_badges(Connection& conn, std::int64_t person_id);

}  // namespace gatehouse::db
