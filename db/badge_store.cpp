#include "db/badge_store.h"

#include <algorithm>

#include "base/log.h"
#include "db/store_support.h"

namespace gatehouse::db {
namespace {

using detail::int_param;
using detail::opt_int;
using detail::opt_int_param;
using detail::opt_time;
using detail::opt_us_param;
using detail::us_param;

constexpr int kMaxListLimit = 100000;
constexpr int kMaxSuspendDays = 3650;  // as [site] suspend_unused_badges_after_days

constexpr std::string_view kBadgeColumns = R"sql(
    b.id, b.person_id, p.external_id, p.name, b.credential, b.format, b.facility, b.card_number,
    b.state, gatehouse_us(b.valid_from), gatehouse_us(b.valid_until), b.pin_hash IS NOT NULL,
    b.pin_failures, gatehouse_us(b.pin_locked_until), gatehouse_us(b.last_used_at),
    b.visitor_pass, gatehouse_us(b.created_at)
  FROM badges b JOIN people p ON p.id = b.person_id )sql";

Result<BadgeState> state_of(std::string_view text) {
  std::optional<BadgeState> s = parse_badge_state(text);
  if (!s) {
    return make_error(ErrorKind::kInternal,
                      "unexpected badge state '" + std::string(text) + "' in database");
  }
  return *s;
}

Result<BadgeInfo> badge_info(const Rows& r, int i) {
  BadgeInfo b;
  b.id = r.int64(i, 0);
  b.person_id = r.int64(i, 1);
  b.person_external_id = r.text(i, 2);
  b.person_name = r.text(i, 3);
  b.credential = r.text(i, 4);
  b.format = r.text(i, 5);
  b.facility = opt_int(r, i, 6);
  b.card_number = opt_int(r, i, 7);
  Result<BadgeState> state = state_of(r.text(i, 8));
  if (!state.ok()) return state.error();
  b.state = *state;
  b.valid_from = opt_time(r, i, 9);
  b.valid_until = opt_time(r, i, 10);
  b.has_pin = r.boolean(i, 11);
  b.pin_failures = static_cast<int>(r.int64(i, 12));
  b.pin_locked_until = opt_time(r, i, 13);
  b.last_used_at = opt_time(r, i, 14);
  b.visitor_pass = r.boolean(i, 15);
  b.created_at = detail::time_at(r, i, 16);
  return b;
}

Result<std::vector<BadgeInfo>> badge_infos(const Rows& r) {
  std::vector<BadgeInfo> out;
  out.reserve(static_cast<std::size_t>(r.size()));
  for (int i = 0; i < r.size(); ++i) {
    Result<BadgeInfo> b = badge_info(r, i);
    if (!b.ok()) return b.error();
    out.push_back(std::move(b).value());
  }
  return out;
}

std::string person_label(std::string_view external_id, std::string_view name) {
  return "person '" + std::string(external_id) + "' (" + std::string(name) + ")";
}

}  // namespace

Result<std::int64_t> insert_badge(Connection& conn, std::int64_t person_id,
                                  std::string_view credential, std::string_view format,
                                  std::optional<std::int64_t> facility,
                                  std::optional<std::int64_t> card_number,
                                  std::optional<WallTime> valid_from,
                                  std::optional<WallTime> valid_until, bool visitor_pass) {
  if (Status s = detail::require("credential", credential); !s.ok()) return s.error();
  if (Status s = detail::require("card format", format); !s.ok()) return s.error();
  if (valid_from && valid_until && *valid_from >= *valid_until) {
    return make_error(ErrorKind::kInvalidInput, "valid_from (" + format_utc(*valid_from) +
                                                    ") must be before valid_until (" +
                                                    format_utc(*valid_until) + ")");
  }
  // Checked first for the message; the UNIQUE constraint still decides a race.
  Result<Rows> used = conn.exec(
      "SELECT b.id, b.state, p.external_id FROM badges b JOIN people p ON p.id = b.person_id "
      "WHERE b.credential = $1",
      {std::string(credential)});
  if (!used.ok()) return used.error();
  if (used->size() > 0) {
    return make_error(ErrorKind::kConflict,
                      "credential " + std::string(credential) + " already belongs to badge " +
                          std::string(used->text(0, 0)) + " (" + std::string(used->text(0, 1)) +
                          ", person '" + std::string(used->text(0, 2)) +
                          "'); a credential is never reused, even after revocation: issue a "
                          "different card");
  }
  Result<Rows> r = conn.exec(
      "INSERT INTO badges (person_id, credential, format, facility, card_number, valid_from, "
      "valid_until, visitor_pass) VALUES ($1::bigint, $2, $3, $4::bigint, $5::bigint, "
      "gatehouse_ts($6::bigint), gatehouse_ts($7::bigint), $8::boolean) RETURNING id",
      {int_param(person_id), std::string(credential), std::string(format), opt_int_param(facility),
       opt_int_param(card_number), opt_us_param(valid_from), opt_us_param(valid_until),
       visitor_pass ? "true" : "false"});
  if (!r.ok()) return r.error();
  return r->int64(0, 0);
}

Result<BadgeState> apply_badge_action(Connection& conn, std::int64_t badge_id, BadgeAction action) {
  Result<Rows> r = conn.exec(
      "SELECT b.state, p.active, p.external_id, p.name FROM badges b "
      "JOIN people p ON p.id = b.person_id WHERE b.id = $1::bigint FOR UPDATE OF b",
      {int_param(badge_id)});
  if (!r.ok()) return r.error();
  if (r->size() == 0) {
    return make_error(ErrorKind::kNotFound, "no badge " + std::to_string(badge_id));
  }
  Result<BadgeState> from = state_of(r->text(0, 0));
  if (!from.ok()) return from.error();
  std::optional<BadgeState> to = next_state(*from, action);
  if (!to) return make_error(ErrorKind::kConflict, describe_refusal(badge_id, *from, action));
  if (*to == BadgeState::kActive && !r->boolean(0, 1)) {
    return make_error(ErrorKind::kConflict,
                      "badge " + std::to_string(badge_id) + " belongs to " +
                          person_label(r->text(0, 2), r->text(0, 3)) +
                          ", who is terminated: a terminated person's badges stay inactive");
  }
  Result<Rows> u = conn.exec("UPDATE badges SET state = $2 WHERE id = $1::bigint",
                             {int_param(badge_id), std::string(to_string(*to))});
  if (!u.ok()) return u.error();
  return *to;
}

Result<std::vector<std::int64_t>> revoke_person_badges(Connection& conn, std::int64_t person_id) {
  Result<Rows> r = conn.exec(
      "UPDATE badges SET state = 'revoked' WHERE person_id = $1::bigint AND state <> 'revoked' "
      "RETURNING id",
      {int_param(person_id)});
  if (!r.ok()) return r.error();
  std::vector<std::int64_t> ids;
  for (int i = 0; i < r->size(); ++i) ids.push_back(r->int64(i, 0));
  std::sort(ids.begin(), ids.end());
  return ids;
}

Result<std::int64_t> issue_badge(Connection& conn, std::string_view person_external_id,
                                 std::string_view credential, std::string_view format,
                                 std::optional<std::int64_t> facility,
                                 std::optional<std::int64_t> card_number,
                                 std::optional<WallTime> valid_from,
                                 std::optional<WallTime> valid_until,
                                 std::string_view operator_name, std::string_view reason) {
  Result<Transaction> tx = Transaction::begin(conn);
  if (!tx.ok()) return tx.error();
  if (Status s = detail::set_change_context(conn, operator_name, reason, std::nullopt); !s.ok()) {
    return s.error();
  }
  // FOR SHARE: a termination committing meanwhile waits for us, then
  // revokes this badge too.
  Result<Rows> p =
      conn.exec("SELECT id, name, kind, active FROM people WHERE external_id = $1 FOR SHARE",
                {std::string(person_external_id)});
  if (!p.ok()) return p.error();
  if (p->size() == 0) {
    return make_error(ErrorKind::kNotFound,
                      "no person with external id '" + std::string(person_external_id) + "'");
  }
  const std::string who = person_label(person_external_id, p->text(0, 1));
  if (p->text(0, 2) == "visitor") {
    return make_error(ErrorKind::kConflict,
                      who + " is a visitor: visitor passes are issued at check-in");
  }
  if (!p->boolean(0, 3)) {
    return make_error(ErrorKind::kConflict,
                      who + " is terminated: a terminated person cannot be issued a badge");
  }
  Result<std::int64_t> id = insert_badge(conn, p->int64(0, 0), credential, format, facility,
                                         card_number, valid_from, valid_until, false);
  if (!id.ok()) return id.error();
  if (Status s = tx->commit(); !s.ok()) return s.error();
  log(LogLevel::kInfo, "db", "badge issued",
      {{"badge", std::to_string(*id)},
       {"person", std::string(person_external_id)},
       {"operator", std::string(operator_name)}});
  return id;
}

Result<BadgeState> transition_badge(Connection& conn, std::int64_t badge_id, BadgeAction action,
                                    std::string_view operator_name, std::string_view reason,
                                    WallTime now) {
  Result<Transaction> tx = Transaction::begin(conn);
  if (!tx.ok()) return tx.error();
  if (Status s = detail::set_change_context(conn, operator_name, reason, now); !s.ok()) {
    return s.error();
  }
  Result<BadgeState> to = apply_badge_action(conn, badge_id, action);
  if (!to.ok()) return to.error();
  if (Status s = tx->commit(); !s.ok()) return s.error();
  log(LogLevel::kInfo, "db", "badge state changed",
      {{"badge", std::to_string(badge_id)},
       {"to", std::string(to_string(*to))},
       {"operator", std::string(operator_name)},
       {"reason", std::string(reason)}});
  return to;
}

Status set_pin_hash(Connection& conn, std::int64_t badge_id, std::string_view pin_hash,
                    std::string_view operator_name) {
  if (Status s = detail::require("operator", operator_name); !s.ok()) return s;
  Result<Transaction> tx = Transaction::begin(conn);
  if (!tx.ok()) return tx.error();
  Result<Rows> r = conn.exec(
      "SELECT b.state, b.person_id, p.external_id FROM badges b "
      "JOIN people p ON p.id = b.person_id WHERE b.id = $1::bigint FOR UPDATE OF b",
      {int_param(badge_id)});
  if (!r.ok()) return r.error();
  if (r->size() == 0) {
    return make_error(ErrorKind::kNotFound, "no badge " + std::to_string(badge_id));
  }
  if (r->text(0, 0) == "revoked") {
    return make_error(ErrorKind::kConflict, "badge " + std::to_string(badge_id) +
                                                " is revoked; a revoked badge takes no PIN");
  }
  Result<Rows> u = conn.exec(
      "UPDATE badges SET pin_hash = nullif($2, ''), pin_failures = 0, pin_locked_until = NULL "
      "WHERE id = $1::bigint",
      {int_param(badge_id), std::string(pin_hash)});
  if (!u.ok()) return u.error();
  const std::string change = std::string(pin_hash.empty() ? "PIN cleared" : "PIN set") +
                             " on badge " + std::to_string(badge_id);
  if (Status s =
          detail::record_person_change(conn, r->int64(0, 1), r->text(0, 2), operator_name, change);
      !s.ok()) {
    return s;
  }
  return tx->commit();
}

Result<PinState> record_pin_result(Connection& conn, std::int64_t badge_id, bool ok,
                                   int attempts_limit, std::chrono::minutes lockout, WallTime now) {
  if (attempts_limit < 1 || lockout.count() < 1) {
    return make_error(ErrorKind::kInvalidInput,
                      "PIN attempts and lockout must be at least 1 (got " +
                          std::to_string(attempts_limit) + " attempts, " +
                          std::to_string(lockout.count()) + " minutes)");
  }
  // Every SET expression reads the row as it was, so `locked` and the count
  // are judged on one version of it, also when a concurrent attempt made us
  // wait for the row lock.
  Result<Rows> r =
      conn.exec(R"sql(
      UPDATE badges AS b SET
        pin_failures = CASE
          WHEN b.pin_locked_until > gatehouse_ts($4::bigint) THEN b.pin_failures
          WHEN $2::boolean OR b.pin_failures + 1 >= $3::integer THEN 0
          ELSE b.pin_failures + 1 END,
        pin_locked_until = CASE
          WHEN b.pin_locked_until > gatehouse_ts($4::bigint) THEN b.pin_locked_until
          WHEN NOT $2::boolean AND b.pin_failures + 1 >= $3::integer
            THEN gatehouse_ts($4::bigint) + $5::integer * interval '1 minute'
          ELSE NULL END
      WHERE b.id = $1::bigint
      RETURNING b.pin_failures, gatehouse_us(b.pin_locked_until),
                coalesce(b.pin_locked_until > gatehouse_ts($4::bigint), false))sql",
                {int_param(badge_id), ok ? "true" : "false", std::to_string(attempts_limit),
                 us_param(now), std::to_string(lockout.count())});
  if (!r.ok()) return r.error();
  if (r->size() == 0) {
    return make_error(ErrorKind::kNotFound, "no badge " + std::to_string(badge_id));
  }
  PinState s;
  s.failures = static_cast<int>(r->int64(0, 0));
  s.locked_until = opt_time(*r, 0, 1);
  s.locked = r->boolean(0, 2);
  return s;
}

Result<int> touch_last_used(Connection& conn, const std::vector<std::int64_t>& badge_ids,
                            WallTime now) {
  if (badge_ids.empty()) return 0;
  Result<Rows> r = conn.exec(
      "UPDATE badges SET last_used_at = gatehouse_ts($2::bigint) "
      "WHERE id = ANY($1::bigint[]) "
      "AND (last_used_at IS NULL OR last_used_at < gatehouse_ts($2::bigint))",
      {detail::bigint_array(badge_ids), us_param(now)});
  if (!r.ok()) return r.error();
  return static_cast<int>(r->affected());
}

Result<std::vector<std::int64_t>> suspend_unused(Connection& conn, int days, WallTime now,
                                                 std::string_view operator_name) {
  if (days < 0 || days > kMaxSuspendDays) {
    return make_error(ErrorKind::kInvalidInput, "days must be from 0 to " +
                                                    std::to_string(kMaxSuspendDays) + ", got " +
                                                    std::to_string(days));
  }
  if (days == 0) return std::vector<std::int64_t>();
  Result<Transaction> tx = Transaction::begin(conn);
  if (!tx.ok()) return tx.error();
  const std::string reason = "not used for more than " + std::to_string(days) + " days";
  if (Status s = detail::set_change_context(conn, operator_name, reason, now); !s.ok()) {
    return s.error();
  }
  Result<Rows> r = conn.exec(
      "UPDATE badges SET state = 'suspended' WHERE state = 'active' "
      "AND coalesce(last_used_at, created_at) < gatehouse_ts($1::bigint) - $2::integer * "
      "interval '1 day' RETURNING id",
      {us_param(now), std::to_string(days)});
  if (!r.ok()) return r.error();
  std::vector<std::int64_t> ids;
  for (int i = 0; i < r->size(); ++i) ids.push_back(r->int64(i, 0));
  std::sort(ids.begin(), ids.end());
  if (Status s = tx->commit(); !s.ok()) return s.error();
  if (!ids.empty()) {
    log(LogLevel::kInfo, "db", "unused badges suspended",
        {{"count", std::to_string(ids.size())}, {"days", std::to_string(days)}});
  }
  return ids;
}

Result<std::optional<BadgeInfo>> find_badge_by_credential(Connection& conn,
                                                          std::string_view credential) {
  Result<Rows> r = conn.exec("SELECT " + std::string(kBadgeColumns) + "WHERE b.credential = $1",
                             {std::string(credential)});
  if (!r.ok()) return r.error();
  if (r->size() == 0) return std::optional<BadgeInfo>();
  Result<BadgeInfo> b = badge_info(*r, 0);
  if (!b.ok()) return b.error();
  return std::optional<BadgeInfo>(std::move(b).value());
}

Result<std::vector<BadgeInfo>> list_badges(Connection& conn, const BadgeFilter& filter) {
  if (filter.limit < 1 || filter.limit > kMaxListLimit) {
    return make_error(ErrorKind::kInvalidInput, "limit must be from 1 to " +
                                                    std::to_string(kMaxListLimit) + ", got " +
                                                    std::to_string(filter.limit));
  }
  Param state;
  if (filter.state) state = std::string(to_string(*filter.state));
  Param pass;
  if (filter.visitor_pass) pass = *filter.visitor_pass ? "true" : "false";
  Result<Rows> r = conn.exec(
      "SELECT " + std::string(kBadgeColumns) +
          "WHERE ($1::text IS NULL OR p.external_id = $1) AND ($2::text IS NULL OR b.state = $2) "
          "AND ($3::boolean IS NULL OR b.visitor_pass = $3::boolean) AND b.id > $4::bigint "
          "ORDER BY b.id LIMIT $5::integer",
      {filter.person_external_id.empty() ? Param() : Param(filter.person_external_id), state, pass,
       int_param(filter.after_id), std::to_string(filter.limit)});
  if (!r.ok()) return r.error();
  return badge_infos(*r);
}

Result<std::vector<BadgeTransition>> badge_history(Connection& conn, std::int64_t badge_id) {
  Result<Rows> r = conn.exec(
      "SELECT t.id, t.from_state, t.to_state, t.operator, gatehouse_us(t.at), t.reason "
      "FROM badges b LEFT JOIN badge_transitions t ON t.badge_id = b.id "
      "WHERE b.id = $1::bigint ORDER BY t.id",
      {int_param(badge_id)});
  if (!r.ok()) return r.error();
  if (r->size() == 0) {
    return make_error(ErrorKind::kNotFound, "no badge " + std::to_string(badge_id));
  }
  std::vector<BadgeTransition> out;
  for (int i = 0; i < r->size(); ++i) {
    if (r->is_null(i, 0)) continue;  // a badge without transitions (impossible via the trigger)
    BadgeTransition t;
    t.id = r->int64(i, 0);
    t.badge_id = badge_id;
    if (!r->is_null(i, 1)) {
      Result<BadgeState> from = state_of(r->text(i, 1));
      if (!from.ok()) return from.error();
      t.from = *from;
    }
    Result<BadgeState> to = state_of(r->text(i, 2));
    if (!to.ok()) return to.error();
    t.to = *to;
    t.operator_name = r->text(i, 3);
    t.at = detail::time_at(*r, i, 4);
    t.reason = r->text(i, 5);
    out.push_back(std::move(t));
  }
  return out;
}

}  // namespace gatehouse::db
