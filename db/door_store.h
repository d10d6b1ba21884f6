// Door events, alarms and door modes in PostgreSQL (tables of migration 0005).
//
// Alarms stay open until an operator acknowledges them; while one is open, the
// same condition arising again at that door adds an occurrence to it instead of
// a new alarm, so a door banging in the wind is one alarm, not a hundred.
//
// Thread safety: like Connection, one thread at a time. Blocking (libpq).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "base/clock.h"
#include "base/result.h"
#include "db/pg.h"

namespace gatehouse::db {

struct DoorEventRow {
  WallTime occurred_at;
  std::string door_id;
  std::string kind;    // docs/doors.md
  std::string detail;  // words for a person
  std::optional<std::string> operator_name;
  std::optional<std::string> event_key;  // "<journal id>:<seq>": a replay inserts nothing twice
};

// One statement; the batch is stored whole or not at all.
Status insert_door_events(Connection& conn, const std::vector<DoorEventRow>& events);
Result<std::vector<DoorEventRow>> query_door_events(Connection& conn, std::string_view door_id,
                                                    int limit);

inline constexpr const char* kAlarmKinds[] = {"forced_open",   "held_open",
                                              "lock_fault",    "module_offline",
                                              "reader_tamper", "reader_offline",
                                              "secure_channel_downgrade"};

struct AlarmRow {
  std::int64_t id = 0;
  std::string door_id;
  std::string kind;
  WallTime raised_at;
  int occurrences = 1;
  WallTime last_raised_at;
  std::optional<WallTime> condition_cleared_at;
  std::optional<WallTime> acknowledged_at;
  std::string acknowledged_by;
  std::string ack_note;
};

// The condition arose: opens an alarm, or adds an occurrence to the open one.
// Returns the alarm's id.
Result<std::int64_t> raise_alarm(Connection& conn, std::string_view door_id,
                                 std::string_view kind, WallTime at);
// The condition ended (the alarm stays open until acknowledged).
Status clear_alarm_condition(Connection& conn, std::string_view door_id, std::string_view kind,
                             WallTime at);
// kNotFound for an unknown alarm; kConflict when it is already acknowledged.
Result<AlarmRow> acknowledge_alarm(Connection& conn, std::int64_t alarm_id,
                                   std::string_view operator_name, std::string_view note,
                                   WallTime at);
Result<std::vector<AlarmRow>> list_alarms(Connection& conn, bool open_only, int limit);

enum class DoorModeKind { kNormal, kUnlocked, kLocked };
std::string_view to_string(DoorModeKind mode);

struct DoorModeRow {
  std::string door_id;
  DoorModeKind mode = DoorModeKind::kNormal;
  std::optional<std::string> allowed_group;  // locked: who still passes; nullopt: nobody
  std::optional<WallTime> until;             // unlocked: when the momentary unlock ends
  std::string operator_name;
  WallTime set_at;
  std::string reason;
};

// Sets (or, for kNormal, clears) a door's mode; the trigger tells every
// controller ("door:<id>"). kNotFound for a door the site does not have.
Status set_door_mode(Connection& conn, const DoorModeRow& mode);
Result<std::vector<DoorModeRow>> load_door_modes(Connection& conn);
// nullopt: normal.
Result<std::optional<DoorModeRow>> load_door_mode(Connection& conn, std::string_view door_id);

}  // namespace gatehouse::db
