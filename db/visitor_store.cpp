#include "db/visitor_store.h"

#include "base/log.h"
#include "db/badge_store.h"
#include "db/store_support.h"

namespace gatehouse::db {
namespace {

using detail::int_param;
using detail::us_param;

std::string visit_label(std::int64_t id) {
  return "visit " + std::to_string(id);
}

}  // namespace

Result<RegisteredVisit> register_visit(Connection& conn, std::string_view visitor_name,
                                       std::string_view visitor_ref,
                                       std::string_view host_external_id, WallTime window_start,
                                       WallTime window_end, std::string_view operator_name) {
  if (Status s = detail::require("visitor name", visitor_name); !s.ok()) return s.error();
  if (Status s = detail::require("operator", operator_name); !s.ok()) return s.error();
  if (window_start >= window_end) {
    return make_error(ErrorKind::kInvalidInput, "the visit window must end after it starts (" +
                                                    format_utc(window_start) + " .. " +
                                                    format_utc(window_end) + ")");
  }
  Result<Transaction> tx = Transaction::begin(conn);
  if (!tx.ok()) return tx.error();

  Result<Rows> host =
      conn.exec("SELECT id, name, kind, active FROM people WHERE external_id = $1 FOR SHARE",
                {std::string(host_external_id)});
  if (!host.ok()) return host.error();
  if (host->size() == 0) {
    return make_error(ErrorKind::kNotFound,
                      "no host with external id '" + std::string(host_external_id) + "'");
  }
  if (host->text(0, 2) != "employee" || !host->boolean(0, 3)) {
    return make_error(ErrorKind::kConflict,
                      "host '" + std::string(host_external_id) + "' (" +
                          std::string(host->text(0, 1)) + ") is " +
                          (host->boolean(0, 3) ? "a " + std::string(host->text(0, 2))
                                               : std::string("terminated")) +
                          "; a visitor's host must be an active employee");
  }
  const std::string host_id = std::to_string(host->int64(0, 0));

  RegisteredVisit out;
  std::string change;
  if (!visitor_ref.empty()) {
    Result<Rows> known =
        conn.exec("SELECT id, kind, name FROM people WHERE external_id = $1 FOR UPDATE",
                  {std::string(visitor_ref)});
    if (!known.ok()) return known.error();
    if (known->size() > 0 && known->text(0, 1) != "visitor") {
      return make_error(ErrorKind::kConflict,
                        "'" + std::string(visitor_ref) + "' is " + std::string(known->text(0, 2)) +
                            ", a " + std::string(known->text(0, 1)) +
                            ", not a visitor; leave the reference empty for a new visitor");
    }
    if (known->size() > 0) {
      out.visitor_person_id = known->int64(0, 0);
      // The host changes at check-in, not here: this visitor may be on site
      // with another visit whose host escorts them now.
      Result<Rows> u = conn.exec("UPDATE people SET name = $2 WHERE id = $1::bigint AND name <> $2",
                                 {int_param(out.visitor_person_id), std::string(visitor_name)});
      if (!u.ok()) return u.error();
    } else {
      Result<Rows> i = conn.exec(
          "INSERT INTO people (external_id, name, kind, host_person_id) "
          "VALUES ($1, $2, 'visitor', $3::bigint) RETURNING id",
          {std::string(visitor_ref), std::string(visitor_name), host_id});
      if (!i.ok()) return i.error();
      out.visitor_person_id = i->int64(0, 0);
      change = "created: visitor; ";
    }
    out.visitor_ref = visitor_ref;
  } else {
    // The reference is made from the id, so the id is drawn first.
    Result<Rows> i = conn.exec(
        "INSERT INTO people (id, external_id, name, kind, host_person_id) "
        "SELECT n, 'V-' || n, $1, 'visitor', $2::bigint "
        "FROM nextval(pg_get_serial_sequence('people', 'id')) AS n RETURNING id, external_id",
        {std::string(visitor_name), host_id});
    if (!i.ok()) return i.error();
    out.visitor_person_id = i->int64(0, 0);
    out.visitor_ref = i->text(0, 1);
    change = "created: visitor; ";
  }

  Result<Rows> v = conn.exec(
      "INSERT INTO visits (visitor_person_id, host_person_id, window_start, window_end, "
      "registered_by) VALUES ($1::bigint, $2::bigint, gatehouse_ts($3::bigint), "
      "gatehouse_ts($4::bigint), $5) RETURNING id",
      {int_param(out.visitor_person_id), host_id, us_param(window_start), us_param(window_end),
       std::string(operator_name)});
  if (!v.ok()) return v.error();
  out.visit_id = v->int64(0, 0);
  change += visit_label(out.visit_id) + " registered, host '" + std::string(host_external_id) + "'";
  if (Status s = detail::record_person_change(conn, out.visitor_person_id, out.visitor_ref,
                                              operator_name, change);
      !s.ok()) {
    return s.error();
  }
  if (Status s = tx->commit(); !s.ok()) return s.error();
  log(LogLevel::kInfo, "db", "visit registered",
      {{"visit", std::to_string(out.visit_id)},
       {"visitor", out.visitor_ref},
       {"host", std::string(host_external_id)},
       {"operator", std::string(operator_name)}});
  return out;
}

Result<std::int64_t> check_in(Connection& conn, std::int64_t visit_id, std::string_view credential,
                              std::string_view format, std::optional<std::int64_t> facility,
                              std::optional<std::int64_t> card_number,
                              std::string_view operator_name, WallTime now) {
  if (Status s = detail::require("operator", operator_name); !s.ok()) return s.error();
  Result<Transaction> tx = Transaction::begin(conn);
  if (!tx.ok()) return tx.error();
  const std::string visit = visit_label(visit_id);
  Result<Rows> r = conn.exec(
      "SELECT v.visitor_person_id, v.host_person_id, gatehouse_us(v.window_end), "
      "gatehouse_us(v.checked_in_at), v.checked_in_by, v.badge_id, gatehouse_us(v.checked_out_at), "
      "h.external_id, h.name, h.kind, h.active, p.external_id "
      "FROM visits v JOIN people h ON h.id = v.host_person_id "
      "JOIN people p ON p.id = v.visitor_person_id "
      "WHERE v.id = $1::bigint FOR UPDATE OF v",
      {int_param(visit_id)});
  if (!r.ok()) return r.error();
  if (r->size() == 0) return make_error(ErrorKind::kNotFound, "no " + visit);
  const std::int64_t visitor = r->int64(0, 0);
  const WallTime window_end{r->int64(0, 2)};
  if (!r->is_null(0, 3)) {
    return make_error(ErrorKind::kConflict,
                      visit + " was already checked in at " + format_utc(WallTime{r->int64(0, 3)}) +
                          " by " + std::string(r->text(0, 4)) + " (badge " +
                          std::string(r->text(0, 5)) + ")" +
                          (r->is_null(0, 6) ? "" : " and has been checked out") +
                          "; register a new visit for another day");
  }
  if (now >= window_end) {
    return make_error(ErrorKind::kConflict, visit + "'s window ended at " + format_utc(window_end) +
                                                "; register a new visit");
  }
  if (r->text(0, 9) != "employee" || !r->boolean(0, 10)) {
    return make_error(ErrorKind::kConflict,
                      visit + ": host '" + std::string(r->text(0, 7)) + "' (" +
                          std::string(r->text(0, 8)) +
                          ") is no longer an active employee; register the visit with another "
                          "host");
  }
  Result<Rows> other = conn.exec(
      "SELECT id FROM visits WHERE visitor_person_id = $1::bigint AND id <> $2::bigint "
      "AND checked_in_at IS NOT NULL AND checked_out_at IS NULL",
      {int_param(visitor), int_param(visit_id)});
  if (!other.ok()) return other.error();
  if (other->size() > 0) {
    return make_error(ErrorKind::kConflict,
                      "visitor '" + std::string(r->text(0, 11)) + "' is on site with visit " +
                          std::string(other->text(0, 0)) + "; check that visit out first");
  }

  if (Status s = detail::set_change_context(conn, operator_name,
                                            "visitor pass issued at check-in of " + visit, now);
      !s.ok()) {
    return s.error();
  }
  Result<std::int64_t> badge =
      insert_badge(conn, visitor, credential, format, facility, card_number, now, window_end, true);
  if (!badge.ok()) return badge.error();
  if (Status s = detail::set_change_context(conn, operator_name, "checked in (" + visit + ")", now);
      !s.ok()) {
    return s.error();
  }
  Result<BadgeState> active = apply_badge_action(conn, *badge, BadgeAction::kActivate);
  if (!active.ok()) return active.error();
  Result<Rows> u = conn.exec(
      "UPDATE visits SET checked_in_at = gatehouse_ts($2::bigint), checked_in_by = $3, "
      "badge_id = $4::bigint WHERE id = $1::bigint",
      {int_param(visit_id), us_param(now), std::string(operator_name), int_param(*badge)});
  if (!u.ok()) return u.error();
  // The escort rule follows the host of the visit in progress.
  u = conn.exec(
      "UPDATE people SET host_person_id = $2::bigint WHERE id = $1::bigint "
      "AND host_person_id IS DISTINCT FROM $2::bigint",
      {int_param(visitor), int_param(r->int64(0, 1))});
  if (!u.ok()) return u.error();
  if (Status s = tx->commit(); !s.ok()) return s.error();
  log(LogLevel::kInfo, "db", "visitor checked in",
      {{"visit", std::to_string(visit_id)},
       {"badge", std::to_string(*badge)},
       {"operator", std::string(operator_name)}});
  return badge;
}

Status check_out(Connection& conn, std::int64_t visit_id, std::string_view operator_name,
                 WallTime now) {
  if (Status s = detail::require("operator", operator_name); !s.ok()) return s;
  Result<Transaction> tx = Transaction::begin(conn);
  if (!tx.ok()) return tx.error();
  const std::string visit = visit_label(visit_id);
  Result<Rows> r = conn.exec(
      "SELECT gatehouse_us(v.checked_in_at), v.badge_id, gatehouse_us(v.checked_out_at), "
      "v.checked_out_by, b.state FROM visits v LEFT JOIN badges b ON b.id = v.badge_id "
      "WHERE v.id = $1::bigint FOR UPDATE OF v",
      {int_param(visit_id)});
  if (!r.ok()) return r.error();
  if (r->size() == 0) return make_error(ErrorKind::kNotFound, "no " + visit);
  if (r->is_null(0, 0)) {
    return make_error(ErrorKind::kConflict, visit + " was never checked in");
  }
  if (!r->is_null(0, 2)) {
    return make_error(ErrorKind::kConflict, visit + " was already checked out at " +
                                                format_utc(WallTime{r->int64(0, 2)}) + " by " +
                                                std::string(r->text(0, 3)));
  }
  const WallTime checked_in{r->int64(0, 0)};
  if (now < checked_in) {
    return make_error(ErrorKind::kInvalidInput, visit + ": check-out time " + format_utc(now) +
                                                    " is before check-in at " +
                                                    format_utc(checked_in));
  }
  const std::int64_t badge = r->int64(0, 1);
  if (r->text(0, 4) != "revoked") {
    if (Status s =
            detail::set_change_context(conn, operator_name, "checked out (" + visit + ")", now);
        !s.ok()) {
      return s;
    }
    Result<BadgeState> revoked = apply_badge_action(conn, badge, BadgeAction::kRevoke);
    if (!revoked.ok()) return revoked.error();
  }
  Result<Rows> u = conn.exec(
      "UPDATE visits SET checked_out_at = gatehouse_ts($2::bigint), checked_out_by = $3 "
      "WHERE id = $1::bigint",
      {int_param(visit_id), us_param(now), std::string(operator_name)});
  if (!u.ok()) return u.error();
  if (Status s = tx->commit(); !s.ok()) return s;
  log(LogLevel::kInfo, "db", "visitor checked out",
      {{"visit", std::to_string(visit_id)},
       {"badge", std::to_string(badge)},
       {"operator", std::string(operator_name)}});
  return Status();
}

Result<std::vector<VisitInfo>> list_visits(Connection& conn, VisitFilter filter, WallTime now) {
  const char* which = filter == VisitFilter::kOnSiteNow ? "on_site"
                      : filter == VisitFilter::kToday   ? "today"
                                                        : "all";
  // The local day of `now` in the site's zone, as two instants; a DST day
  // is 23 or 25 hours long, which local arithmetic gets right.
  Result<Rows> r = conn.exec(R"sql(
      WITH zone AS (SELECT coalesce((SELECT timezone FROM site), 'UTC') AS name),
      day AS (
        SELECT (d.midnight AT TIME ZONE zone.name) AS starts,
               ((d.midnight + interval '1 day') AT TIME ZONE zone.name) AS ends
        FROM zone, LATERAL (SELECT date_trunc('day', gatehouse_ts($2::bigint) AT TIME ZONE zone.name)
                            AS midnight) d)
      SELECT v.id, v.visitor_person_id, vp.external_id, vp.name, v.host_person_id, h.external_id,
             h.name, gatehouse_us(v.window_start), gatehouse_us(v.window_end), v.registered_by,
             gatehouse_us(v.registered_at), gatehouse_us(v.checked_in_at), v.checked_in_by,
             gatehouse_us(v.checked_out_at), v.checked_out_by, v.badge_id
      FROM visits v
      JOIN people vp ON vp.id = v.visitor_person_id
      JOIN people h ON h.id = v.host_person_id
      CROSS JOIN day
      WHERE CASE $1
              WHEN 'on_site' THEN v.checked_in_at IS NOT NULL AND v.checked_out_at IS NULL
              WHEN 'today' THEN v.window_start < day.ends AND v.window_end > day.starts
              ELSE true END
      ORDER BY v.window_start, v.id)sql",
                             {which, us_param(now)});
  if (!r.ok()) return r.error();
  std::vector<VisitInfo> out;
  for (int i = 0; i < r->size(); ++i) {
    VisitInfo v;
    v.id = r->int64(i, 0);
    v.visitor_person_id = r->int64(i, 1);
    v.visitor_ref = r->text(i, 2);
    v.visitor_name = r->text(i, 3);
    v.host_person_id = r->int64(i, 4);
    v.host_external_id = r->text(i, 5);
    v.host_name = r->text(i, 6);
    v.window_start = detail::time_at(*r, i, 7);
    v.window_end = detail::time_at(*r, i, 8);
    v.registered_by = r->text(i, 9);
    v.registered_at = detail::time_at(*r, i, 10);
    v.checked_in_at = detail::opt_time(*r, i, 11);
    v.checked_in_by = r->text(i, 12);
    v.checked_out_at = detail::opt_time(*r, i, 13);
    v.checked_out_by = r->text(i, 14);
    v.badge_id = detail::opt_int(*r, i, 15);
    out.push_back(std::move(v));
  }
  return out;
}

}  // namespace gatehouse::db
