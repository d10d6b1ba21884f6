// What the decision engine needs from the database, as plain rows: people with
// their groups, badges, the lockdown state. The controller builds its in-memory
// snapshot from load_access_data() at start and keeps it current with the
// load_person()/load_badge() reloads that LISTEN/NOTIFY triggers.
//
// db/ does not interpret credentials: a badge's `credential` is the canonical
// key text the readers module produces ("26:1204D2": bit count, then the data
// bits with parity stripped, in hex), unique across every badge ever issued.
//
// Thread safety: plain values. The loaders block (libpq): call them off the reactor.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "base/clock.h"
#include "base/result.h"

namespace gatehouse::db {

class Connection;

enum class PersonKind { kEmployee, kContractor, kVisitor };

// The badge lifecycle (db/badge_lifecycle.h has the transitions):
// issued -> active -> suspended -> active ...; any -> revoked (final).
enum class BadgeState { kIssued, kActive, kSuspended, kRevoked };

struct PersonRow {
  std::int64_t id = 0;
  std::string external_id;  // HR employee number, contractor or visitor reference; unique
  std::string name;
  PersonKind kind = PersonKind::kEmployee;
  bool active = true;                 // false once terminated (every badge is revoked then)
  std::vector<std::string> groups;    // group ids from the site file, sorted
  std::optional<std::int64_t> host_person_id;  // visitors: the employee they visit
};

struct BadgeRow {
  std::int64_t id = 0;
  std::int64_t person_id = 0;
  std::string credential;  // canonical key text, e.g. "26:1204D2"
  BadgeState state = BadgeState::kIssued;
  std::optional<WallTime> valid_from;
  std::optional<WallTime> valid_until;
  std::string pin_hash;  // libsodium crypto_pwhash_str output; empty = no PIN set
  int pin_failures = 0;  // consecutive wrong PINs
  std::optional<WallTime> pin_locked_until;
  std::optional<WallTime> last_used_at;
  bool visitor_pass = false;  // a temporary pass issued at visitor check-in
};

struct LockdownRow {
  bool active = false;
  std::string allowed_group;  // empty: nobody passes
  std::string operator_name;
  WallTime since;
};

struct AccessData {
  std::vector<PersonRow> people;  // by id
  std::vector<BadgeRow> badges;   // by id
  LockdownRow lockdown;
};

Result<AccessData> load_access_data(Connection& conn);
// nullopt when the row no longer exists.
Result<std::optional<PersonRow>> load_person(Connection& conn, std::int64_t person_id);
Result<std::optional<BadgeRow>> load_badge(Connection& conn, std::int64_t badge_id);
Result<LockdownRow> load_lockdown(Connection& conn);

// NOTIFY channel and payloads every writer's change produces (by trigger, so
// any writer counts): "person:<id>", "badge:<id>", "lockdown", "site".
inline constexpr const char* kAccessChannel = "gatehouse_access";

std::string_view to_string(PersonKind kind);
std::string_view to_string(BadgeState state);

}  // namespace gatehouse::db
