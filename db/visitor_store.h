// Visitors: reception registers a visit (who, whom they visit, when), checks
// the visitor in (a visitor pass is issued and active at once, valid until
// the window ends) and out (the pass is revoked at once). Visitors are never
// members of a group: their pass opens doors only through the escort rule
// (docs/badges.md, "Visitor passes").
//
// Thread safety: functions use only the caller's connection, and block.
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

struct RegisteredVisit {
  std::int64_t visit_id = 0;
  std::int64_t visitor_person_id = 0;
  std::string visitor_ref;  // the visitor's external id
};

// Registers a visit of `visitor_name` to the host (an active employee) from
// window_start to window_end. `visitor_ref` names a returning visitor (their
// external id; their name is updated); empty makes a new visitor "V-<id>".
// kNotFound: no such host; kConflict: the host is not an active employee, or
// visitor_ref belongs to someone who is not a visitor; kInvalidInput: empty
// name or operator, window_start not before window_end.
Result<RegisteredVisit> register_visit(Connection& conn, std::string_view visitor_name,
                                       std::string_view visitor_ref,
                                       std::string_view host_external_id, WallTime window_start,
                                       WallTime window_end, std::string_view operator_name);

// Checks the visitor in at `now`: issues a visitor pass with this credential,
// active at once, valid from now until the window ends, and returns its
// badge id. kNotFound: no such visit; kConflict: already checked in (or out),
// the window has ended, the host is no longer an active employee, the
// visitor is on site with another visit, or the credential was ever used.
Result<std::int64_t> check_in(Connection& conn, std::int64_t visit_id, std::string_view credential,
                              std::string_view format, std::optional<std::int64_t> facility,
                              std::optional<std::int64_t> card_number,
                              std::string_view operator_name, WallTime now);

// Checks the visitor out at `now` and revokes their pass at once.
// kNotFound: no such visit; kConflict: not checked in, or already out.
Status check_out(Connection& conn, std::int64_t visit_id, std::string_view operator_name,
                 WallTime now);

struct VisitInfo {
  std::int64_t id = 0;
  std::int64_t visitor_person_id = 0;
  std::string visitor_ref;
  std::string visitor_name;
  std::int64_t host_person_id = 0;
  std::string host_external_id;
  std::string host_name;
  WallTime window_start;
  WallTime window_end;
  std::string registered_by;
  WallTime registered_at;
  std::optional<WallTime> checked_in_at;
  std::string checked_in_by;  // empty until checked in
  std::optional<WallTime> checked_out_at;
  std::string checked_out_by;  // empty until checked out
  std::optional<std::int64_t> badge_id;
};

enum class VisitFilter {
  kOnSiteNow,  // checked in and not checked out: who is on site now
  kToday,      // window overlapping the site's local calendar day of `now`
  kAll,
};

// Visits matching the filter, by window start then id. "Today" is the local
// day in the site's time zone (UTC before any site is applied).
Result<std::vector<VisitInfo>> list_visits(Connection& conn, VisitFilter filter, WallTime now);

}  // namespace gatehouse::db
