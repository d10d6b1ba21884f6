// Access events: one row per decision at a reader (docs/decisions.md), written
// in batches, queried by the security desk. Events name doors, readers,
// badges and people by id without foreign keys: history outlives them.
//
// Thread safety: functions use only the caller's connection, and block.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "base/clock.h"
#include "base/result.h"
#include "db/pg.h"

namespace gatehouse::db {

struct AccessEventRow {
  std::int64_t id = 0;  // set by the database; ignored on insert
  WallTime occurred_at;
  std::string door_id;
  std::string reader_id;
  std::optional<std::string> credential;  // nullopt: the read failed its parity check
  std::optional<std::string> raw_bits;    // "0110...", kept for unknown and unreadable cards
  std::optional<std::int64_t> badge_id;
  std::optional<std::int64_t> person_id;
  bool granted = false;
  std::string reason;                    // a code of docs/decisions.md
  std::optional<std::string> event_key;  // idempotency key, e.g. "<journal id>:<seq>"
  WallTime recorded_at;                  // set by the database; ignored on insert
  bool operator==(const AccessEventRow&) const = default;
};

// Inserts the events in one statement (all or none). An event whose
// event_key is already stored is skipped, so a batch replayed after a crash
// inserts nothing twice. kConflict for a reason that is not a code, or
// granted disagreeing with the reason (the message names the constraint).
Status insert_access_events(Connection& conn, const std::vector<AccessEventRow>& events);

struct AccessEventFilter {
  std::string door_id;  // empty: every door
  std::optional<std::int64_t> person_id;
  std::optional<WallTime> from;  // occurred_at >= from
  std::optional<WallTime> to;    // occurred_at < to
  int limit = 100;               // 1..10000
};

// Matching events, newest first (occurred_at, then id, descending).
Result<std::vector<AccessEventRow>> query_access_events(Connection& conn,
                                                        const AccessEventFilter& filter);

}  // namespace gatehouse::db
