#include "db/access_data.h"

#include <functional>

#include "db/badge_lifecycle.h"
#include "db/pg.h"
#include "db/store_support.h"

namespace gatehouse::db {
namespace {

using detail::opt_int;
using detail::opt_time;

// Rows per FETCH: large enough that round trips do not matter, small enough
// that one batch of text cells stays a few tens of MB.
constexpr int kFetchRows = 50000;

Result<PersonKind> kind_of(std::string_view text) {
  if (text == "employee") return PersonKind::kEmployee;
  if (text == "contractor") return PersonKind::kContractor;
  if (text == "visitor") return PersonKind::kVisitor;
  return make_error(ErrorKind::kInternal,
                    "unexpected person kind '" + std::string(text) + "' in database");
}

Result<BadgeState> state_of(std::string_view text) {
  std::optional<BadgeState> s = parse_badge_state(text);
  if (!s) {
    return make_error(ErrorKind::kInternal,
                      "unexpected badge state '" + std::string(text) + "' in database");
  }
  return *s;
}

constexpr std::string_view kPeopleSql =
    "SELECT id, external_id, name, kind, active, host_person_id FROM people";
constexpr std::string_view kBadgesSql = R"sql(
    SELECT id, person_id, credential, state, gatehouse_us(valid_from), gatehouse_us(valid_until),
           pin_hash, pin_failures, gatehouse_us(pin_locked_until), gatehouse_us(last_used_at),
           visitor_pass
    FROM badges)sql";

// Columns as kPeopleSql selects them.
Result<PersonRow> person_row(const Rows& r, int i) {
  PersonRow p;
  p.id = r.int64(i, 0);
  p.external_id = r.text(i, 1);
  p.name = r.text(i, 2);
  Result<PersonKind> kind = kind_of(r.text(i, 3));
  if (!kind.ok()) return kind.error();
  p.kind = *kind;
  p.active = r.boolean(i, 4);
  p.host_person_id = opt_int(r, i, 5);
  return p;
}

// Columns as kBadgesSql selects them.
Result<BadgeRow> badge_row(const Rows& r, int i) {
  BadgeRow b;
  b.id = r.int64(i, 0);
  b.person_id = r.int64(i, 1);
  b.credential = r.text(i, 2);
  Result<BadgeState> state = state_of(r.text(i, 3));
  if (!state.ok()) return state.error();
  b.state = *state;
  b.valid_from = opt_time(r, i, 4);
  b.valid_until = opt_time(r, i, 5);
  b.pin_hash = r.text(i, 6);
  b.pin_failures = static_cast<int>(r.int64(i, 7));
  b.pin_locked_until = opt_time(r, i, 8);
  b.last_used_at = opt_time(r, i, 9);
  b.visitor_pass = r.boolean(i, 10);
  return b;
}

Result<LockdownRow> lockdown_row(Connection& conn) {
  Result<Rows> r =
      conn.exec("SELECT active, allowed_group_id, operator, gatehouse_us(since) FROM lockdown");
  if (!r.ok()) return r.error();
  LockdownRow l;
  if (r->size() == 0) return l;  // the migration inserts the row; tolerate its absence
  l.active = r->boolean(0, 0);
  l.allowed_group = r->text(0, 1);
  l.operator_name = r->text(0, 2);
  l.since = detail::time_at(*r, 0, 3);
  return l;
}

// Runs one query through a cursor, handing each batch to `each`. Must run
// inside a transaction.
Status fetch_all(Connection& conn, std::string_view sql,
                 const std::function<Status(const Rows&)>& each) {
  Result<Rows> declared =
      conn.exec("DECLARE gatehouse_load NO SCROLL CURSOR FOR " + std::string(sql));
  if (!declared.ok()) return declared.error();
  const std::string fetch = "FETCH " + std::to_string(kFetchRows) + " FROM gatehouse_load";
  for (;;) {
    Result<Rows> batch = conn.exec(fetch);
    if (!batch.ok()) return batch.error();
    if (batch->size() == 0) break;
    if (Status s = each(*batch); !s.ok()) return s;
  }
  Result<Rows> closed = conn.exec("CLOSE gatehouse_load");
  if (!closed.ok()) return closed.error();
  return Status();
}

}  // namespace

std::string_view to_string(PersonKind kind) {
  switch (kind) {
    case PersonKind::kEmployee:
      return "employee";
    case PersonKind::kContractor:
      return "contractor";
    case PersonKind::kVisitor:
      return "visitor";
  }
  return "unknown";
}

Result<AccessData> load_access_data(Connection& conn) {
  Result<Transaction> tx = Transaction::begin(conn);
  if (!tx.ok()) return tx.error();
  // One snapshot for every table: a badge never refers to a person the
  // snapshot lacks, and a change committed meanwhile is seen whole or not at
  // all (its NOTIFY arrives afterwards and reloads it).
  Result<Rows> iso = conn.exec("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY");
  if (!iso.ok()) return iso.error();

  AccessData data;
  Status s = fetch_all(conn, std::string(kPeopleSql) + " ORDER BY id", [&data](const Rows& r) {
    for (int i = 0; i < r.size(); ++i) {
      Result<PersonRow> p = person_row(r, i);
      if (!p.ok()) return Status(p.error());
      data.people.push_back(std::move(p).value());
    }
    return Status();
  });
  if (!s.ok()) return s.error();

  // Both ordered by person id: one pass merges the groups in.
  std::size_t at = 0;
  s = fetch_all(conn,
                "SELECT person_id, group_id FROM person_group_members "
                "ORDER BY person_id, group_id COLLATE \"C\"",
                [&data, &at](const Rows& r) {
                  for (int i = 0; i < r.size(); ++i) {
                    const std::int64_t person = r.int64(i, 0);
                    while (at < data.people.size() && data.people[at].id < person) ++at;
                    if (at == data.people.size() || data.people[at].id != person) {
                      return Status(make_error(
                          ErrorKind::kInternal,
                          "group member " + std::to_string(person) + " is not in people"));
                    }
                    data.people[at].groups.emplace_back(r.text(i, 1));
                  }
                  return Status();
                });
  if (!s.ok()) return s.error();

  s = fetch_all(conn, std::string(kBadgesSql) + " ORDER BY id", [&data](const Rows& r) {
    data.badges.reserve(data.badges.size() + static_cast<std::size_t>(r.size()));
    for (int i = 0; i < r.size(); ++i) {
      Result<BadgeRow> b = badge_row(r, i);
      if (!b.ok()) return Status(b.error());
      data.badges.push_back(std::move(b).value());
    }
    return Status();
  });
  if (!s.ok()) return s.error();

  Result<LockdownRow> lockdown = lockdown_row(conn);
  if (!lockdown.ok()) return lockdown.error();
  data.lockdown = std::move(lockdown).value();
  if (Status c = tx->commit(); !c.ok()) return c.error();
  return data;
}

Result<std::optional<PersonRow>> load_person(Connection& conn, std::int64_t person_id) {
  // One statement, one snapshot: the person and their groups agree.
  Result<Rows> r = conn.exec(
      "SELECT p.id, p.external_id, p.name, p.kind, p.active, p.host_person_id, m.group_id "
      "FROM people p LEFT JOIN person_group_members m ON m.person_id = p.id "
      "WHERE p.id = $1::bigint ORDER BY m.group_id COLLATE \"C\"",
      {detail::int_param(person_id)});
  if (!r.ok()) return r.error();
  if (r->size() == 0) return std::optional<PersonRow>();
  Result<PersonRow> p = person_row(*r, 0);
  if (!p.ok()) return p.error();
  for (int i = 0; i < r->size(); ++i) {
    if (!r->is_null(i, 6)) p->groups.emplace_back(r->text(i, 6));
  }
  return std::optional<PersonRow>(std::move(p).value());
}

Result<std::optional<BadgeRow>> load_badge(Connection& conn, std::int64_t badge_id) {
  Result<Rows> r =
      conn.exec(std::string(kBadgesSql) + " WHERE id = $1::bigint", {detail::int_param(badge_id)});
  if (!r.ok()) return r.error();
  if (r->size() == 0) return std::optional<BadgeRow>();
  Result<BadgeRow> b = badge_row(*r, 0);
  if (!b.ok()) return b.error();
  return std::optional<BadgeRow>(std::move(b).value());
}

Result<LockdownRow> load_lockdown(Connection& conn) {
  return lockdown_row(conn);
}

}  // namespace gatehouse::db
