// The site-wide lockdown: one row (table lockdown), every change also kept in
// lockdown_changes. The lockdown trigger NOTIFYs "lockdown" at commit, so
// every controller reloads it (db/access_data.h load_lockdown()).
//
// Thread safety: functions use only the caller's connection, and block.
#pragma once

#include <string_view>

#include "base/result.h"
#include "db/access_data.h"
#include "db/pg.h"

namespace gatehouse::db {

// Starts a lockdown (or, when one is in force, changes its allowed group,
// keeping its start time) and returns the new state. allowed_group empty:
// nobody passes. kNotFound: the group is not in the site file;
// kInvalidInput: empty operator.
Result<LockdownRow> start_lockdown(Connection& conn, std::string_view allowed_group,
                                   std::string_view operator_name);

// Lifts the lockdown. kConflict when none is in force.
Result<LockdownRow> lift_lockdown(Connection& conn, std::string_view operator_name);

}  // namespace gatehouse::db
