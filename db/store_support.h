// Internal to db/: small helpers the access stores share (people, badges,
// visits, lockdown, events). Not for use outside db/.
//
// Times cross the wire as integer microseconds since the epoch (the SQL
// functions gatehouse_ts()/gatehouse_us() of 0002_access.sql), so a WallTime
// round-trips exactly whatever the session's time zone.
//
// Thread safety: functions use only the caller's connection.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "base/clock.h"
#include "base/result.h"
#include "db/pg.h"

namespace gatehouse::db::detail {

inline Param us_param(WallTime t) {
  return std::to_string(t.us);
}
inline Param opt_us_param(const std::optional<WallTime>& t) {
  return t ? us_param(*t) : Param();
}
inline Param int_param(std::int64_t v) {
  return std::to_string(v);
}
inline Param opt_int_param(const std::optional<std::int64_t>& v) {
  return v ? int_param(*v) : Param();
}

// A cell holding gatehouse_us(...) (bigint microseconds), NULL -> nullopt.
std::optional<WallTime> opt_time(const Rows& r, int row, int col);
inline WallTime time_at(const Rows& r, int row, int col) {
  return WallTime{r.int64(row, col)};
}
std::optional<std::int64_t> opt_int(const Rows& r, int row, int col);

// "{1,2,3}" for one parameter cast with ::bigint[].
std::string bigint_array(const std::vector<std::int64_t>& values);

// kInvalidInput "<what> must not be empty" when `value` is empty.
Status require(std::string_view what, std::string_view value);

// Says who makes the state changes that follow in the current transaction,
// why, and when: the badges trigger records them in badge_transitions from
// these transaction-local settings. `at` nullopt: the transaction start.
Status set_change_context(Connection& conn, std::string_view operator_name, std::string_view reason,
                          std::optional<WallTime> at);

// Records a change to a person in person_changes (inside the caller's transaction).
Status record_person_change(Connection& conn, std::int64_t person_id, std::string_view external_id,
                            std::string_view operator_name, std::string_view change);

// Prefixes the message, keeping the kind.
Error with_context(const Error& e, std::string_view context);

}  // namespace gatehouse::db::detail
