#include "db/door_store.h"

#include <algorithm>

#include "db/store_support.h"

namespace gatehouse::db {
namespace {

std::optional<WallTime> opt_us(const Rows& r, int row, int col) {
  if (r.is_null(row, col)) return std::nullopt;
  return WallTime{r.int64(row, col)};
}

Param us_param(WallTime t) { return std::to_string(t.us); }

constexpr const char* kAlarmColumns =
    "id, door_id, kind, gatehouse_us(raised_at), occurrences, gatehouse_us(last_raised_at), "
    "gatehouse_us(condition_cleared_at), gatehouse_us(acknowledged_at), "
    "coalesce(acknowledged_by, ''), coalesce(ack_note, '')";

AlarmRow alarm_row(const Rows& r, int i) {
  AlarmRow a;
  a.id = r.int64(i, 0);
  a.door_id = r.text(i, 1);
  a.kind = r.text(i, 2);
  a.raised_at = WallTime{r.int64(i, 3)};
  a.occurrences = static_cast<int>(r.int64(i, 4));
  a.last_raised_at = WallTime{r.int64(i, 5)};
  a.condition_cleared_at = opt_us(r, i, 6);
  a.acknowledged_at = opt_us(r, i, 7);
  a.acknowledged_by = r.text(i, 8);
  a.ack_note = r.text(i, 9);
  return a;
}

Result<DoorModeKind> mode_of(std::string_view text) {
  if (text == "normal") return DoorModeKind::kNormal;
  if (text == "unlocked") return DoorModeKind::kUnlocked;
  if (text == "locked") return DoorModeKind::kLocked;
  return make_error(ErrorKind::kInternal, "unknown door mode '" + std::string(text) + "' stored");
}

constexpr const char* kModeColumns =
    "door_id, mode, allowed_group, gatehouse_us(until), operator, gatehouse_us(set_at), reason";

Result<DoorModeRow> mode_row(const Rows& r, int i) {
  DoorModeRow m;
  m.door_id = r.text(i, 0);
  auto mode = mode_of(r.text(i, 1));
  if (!mode.ok()) return mode.error();
  m.mode = *mode;
  m.allowed_group = r.opt_text(i, 2);
  m.until = opt_us(r, i, 3);
  m.operator_name = r.text(i, 4);
  m.set_at = WallTime{r.int64(i, 5)};
  m.reason = r.text(i, 6);
  return m;
}

bool known_alarm_kind(std::string_view kind) {
  return std::find(std::begin(kAlarmKinds), std::end(kAlarmKinds), kind) != std::end(kAlarmKinds);
}

}  // namespace

std::string_view to_string(DoorModeKind mode) {
  switch (mode) {
    case DoorModeKind::kNormal: return "normal";
    case DoorModeKind::kUnlocked: return "unlocked";
    case DoorModeKind::kLocked: return "locked";
  }
  return "normal";
}

Status insert_door_events(Connection& conn, const std::vector<DoorEventRow>& events) {
  if (events.empty()) return Status();
  std::vector<std::optional<std::string>> occurred, door, kind, detail, who, key;
  for (const DoorEventRow& e : events) {
    occurred.emplace_back(std::to_string(e.occurred_at.us));
    door.emplace_back(e.door_id);
    kind.emplace_back(e.kind);
    detail.emplace_back(e.detail);
    who.push_back(e.operator_name);
    key.push_back(e.event_key);
  }
  Result<Rows> r = conn.exec(R"sql(
      INSERT INTO door_events (occurred_at, door_id, kind, detail, operator, event_key)
      SELECT gatehouse_ts(u.occurred::bigint), u.door, u.kind, u.detail, u.who, u.key
      FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::text[], $6::text[])
           WITH ORDINALITY AS u(occurred, door, kind, detail, who, key, n)
      ORDER BY u.n
      ON CONFLICT (event_key) DO NOTHING)sql",
                             {text_array(occurred), text_array(door), text_array(kind),
                              text_array(detail), text_array(who), text_array(key)});
  if (!r.ok()) return r.error();
  return Status();
}

Result<std::vector<DoorEventRow>> query_door_events(Connection& conn, std::string_view door_id,
                                                    int limit) {
  if (limit < 1 || limit > 10000) {
    return make_error(ErrorKind::kInvalidInput, "limit must be from 1 to 10000");
  }
  Result<Rows> r = conn.exec(
      "SELECT gatehouse_us(occurred_at), door_id, kind, detail, operator, event_key "
      "FROM door_events WHERE ($1 = '' OR door_id = $1) ORDER BY occurred_at DESC, id DESC "
      "LIMIT $2::integer",
      {std::string(door_id), std::to_string(limit)});
  if (!r.ok()) return r.error();
  std::vector<DoorEventRow> out;
  for (int i = 0; i < r->size(); ++i) {
    out.push_back({WallTime{r->int64(i, 0)}, std::string(r->text(i, 1)),
                   std::string(r->text(i, 2)), std::string(r->text(i, 3)), r->opt_text(i, 4),
                   r->opt_text(i, 5)});
  }
  return out;
}

Result<std::int64_t> raise_alarm(Connection& conn, std::string_view door_id, std::string_view kind,
                                 WallTime at) {
  if (!known_alarm_kind(kind)) {
    return make_error(ErrorKind::kInvalidInput, "unknown alarm kind '" + std::string(kind) + "'");
  }
  Result<Rows> r = conn.exec(R"sql(
      INSERT INTO alarms (door_id, kind, raised_at, last_raised_at)
      VALUES ($1, $2, gatehouse_ts($3::bigint), gatehouse_ts($3::bigint))
      ON CONFLICT (door_id, kind) WHERE acknowledged_at IS NULL
      DO UPDATE SET occurrences = alarms.occurrences + 1,
                    last_raised_at = greatest(alarms.last_raised_at, EXCLUDED.last_raised_at),
                    condition_cleared_at = NULL
      RETURNING id)sql",
                             {std::string(door_id), std::string(kind), us_param(at)});
  if (!r.ok()) return r.error();
  return r->int64(0, 0);
}

Status clear_alarm_condition(Connection& conn, std::string_view door_id, std::string_view kind,
                             WallTime at) {
  Result<Rows> r = conn.exec(
      "UPDATE alarms SET condition_cleared_at = gatehouse_ts($3::bigint) "
      "WHERE door_id = $1 AND kind = $2 AND acknowledged_at IS NULL AND condition_cleared_at IS NULL",
      {std::string(door_id), std::string(kind), us_param(at)});
  if (!r.ok()) return r.error();
  return Status();
}

Result<AlarmRow> acknowledge_alarm(Connection& conn, std::int64_t alarm_id,
                                   std::string_view operator_name, std::string_view note,
                                   WallTime at) {
  if (operator_name.empty()) {
    return make_error(ErrorKind::kInvalidInput, "an acknowledgement needs an operator");
  }
  Result<Rows> r = conn.exec(
      std::string("UPDATE alarms SET acknowledged_at = gatehouse_ts($2::bigint), "
                  "acknowledged_by = $3, ack_note = $4 WHERE id = $1::bigint AND "
                  "acknowledged_at IS NULL RETURNING ") +
          kAlarmColumns,
      {std::to_string(alarm_id), us_param(at), std::string(operator_name), std::string(note)});
  if (!r.ok()) return r.error();
  if (r->size() == 1) return alarm_row(*r, 0);
  Result<Rows> exists = conn.exec("SELECT acknowledged_by FROM alarms WHERE id = $1::bigint",
                                  {std::to_string(alarm_id)});
  if (!exists.ok()) return exists.error();
  if (exists->size() == 0) {
    return make_error(ErrorKind::kNotFound, "no alarm " + std::to_string(alarm_id));
  }
  return make_error(ErrorKind::kConflict, "alarm " + std::to_string(alarm_id) +
                                              " was already acknowledged by " +
                                              std::string(exists->text(0, 0)));
}

Result<std::vector<AlarmRow>> list_alarms(Connection& conn, bool open_only, int limit) {
  if (limit < 1 || limit > 10000) {
    return make_error(ErrorKind::kInvalidInput, "limit must be from 1 to 10000");
  }
  Result<Rows> r = conn.exec(std::string("SELECT ") + kAlarmColumns +
                                 " FROM alarms WHERE (NOT $1::boolean OR acknowledged_at IS NULL) "
                                 "ORDER BY raised_at DESC, id DESC LIMIT $2::integer",
                             {open_only ? "true" : "false", std::to_string(limit)});
  if (!r.ok()) return r.error();
  std::vector<AlarmRow> out;
  for (int i = 0; i < r->size(); ++i) out.push_back(alarm_row(*r, i));
  return out;
}

Status set_door_mode(Connection& conn, const DoorModeRow& mode) {
  if (mode.operator_name.empty()) {
    return make_error(ErrorKind::kInvalidInput, "a mode change needs an operator");
  }
  Result<Transaction> tx = Transaction::begin(conn);
  if (!tx.ok()) return tx.error();
  Result<Rows> door = conn.exec("SELECT 1 FROM doors WHERE id = $1", {mode.door_id});
  if (!door.ok()) return door.error();
  if (door->size() == 0) {
    return make_error(ErrorKind::kNotFound, "no door '" + mode.door_id + "' in the site");
  }
  if (mode.allowed_group) {
    Result<Rows> group = conn.exec("SELECT 1 FROM person_groups WHERE id = $1", {*mode.allowed_group});
    if (!group.ok()) return group.error();
    if (group->size() == 0) {
      return make_error(ErrorKind::kNotFound, "unknown group '" + *mode.allowed_group + "'");
    }
  }
  Result<Rows> r =
      mode.mode == DoorModeKind::kNormal
          ? conn.exec("DELETE FROM door_modes WHERE door_id = $1", {mode.door_id})
          : conn.exec(R"sql(
              INSERT INTO door_modes (door_id, mode, allowed_group, until, operator, reason)
              VALUES ($1, $2, $3, gatehouse_ts($4::bigint), $5, $6)
              ON CONFLICT (door_id) DO UPDATE SET mode = EXCLUDED.mode,
                allowed_group = EXCLUDED.allowed_group, until = EXCLUDED.until,
                operator = EXCLUDED.operator, reason = EXCLUDED.reason, set_at = now())sql",
                      {mode.door_id, std::string(to_string(mode.mode)), mode.allowed_group,
                       mode.until ? Param(std::to_string(mode.until->us)) : Param(),
                       mode.operator_name, mode.reason});
  if (!r.ok()) return r.error();
  return tx->commit();
}

Result<std::vector<DoorModeRow>> load_door_modes(Connection& conn) {
  Result<Rows> r = conn.exec(std::string("SELECT ") + kModeColumns + " FROM door_modes ORDER BY door_id");
  if (!r.ok()) return r.error();
  std::vector<DoorModeRow> out;
  for (int i = 0; i < r->size(); ++i) {
    auto m = mode_row(*r, i);
    if (!m.ok()) return m.error();
    out.push_back(std::move(m).value());
  }
  return out;
}

Result<std::optional<DoorModeRow>> load_door_mode(Connection& conn, std::string_view door_id) {
  Result<Rows> r = conn.exec(std::string("SELECT ") + kModeColumns + " FROM door_modes WHERE door_id = $1",
                             {std::string(door_id)});
  if (!r.ok()) return r.error();
  if (r->size() == 0) return std::optional<DoorModeRow>();
  auto m = mode_row(*r, 0);
  if (!m.ok()) return m.error();
  return std::optional<DoorModeRow>(std::move(m).value());
}

}  // namespace gatehouse::db
