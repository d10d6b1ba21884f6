#include "db/event_store.h"

#include "db/store_support.h"

namespace gatehouse::db {
namespace {

constexpr int kMaxQueryLimit = 10000;

std::optional<std::string> opt_number(const std::optional<std::int64_t>& v) {
  return v ? std::optional<std::string>(std::to_string(*v)) : std::nullopt;
}

}  // namespace

Status insert_access_events(Connection& conn, const std::vector<AccessEventRow>& events) {
  if (events.empty()) return Status();
  std::vector<std::optional<std::string>> occurred, door, reader, credential, raw, badge, person,
      granted, reason, key;
  for (const AccessEventRow& e : events) {
    occurred.emplace_back(std::to_string(e.occurred_at.us));
    door.emplace_back(e.door_id);
    reader.emplace_back(e.reader_id);
    credential.push_back(e.credential);
    raw.push_back(e.raw_bits);
    badge.push_back(opt_number(e.badge_id));
    person.push_back(opt_number(e.person_id));
    granted.emplace_back(e.granted ? "true" : "false");
    reason.emplace_back(e.reason);
    key.push_back(e.event_key);
  }
  // One statement: the batch is stored whole or not at all. Ordinality keeps
  // ids in the batch's order.
  Result<Rows> r =
      conn.exec(R"sql(
      INSERT INTO access_events (occurred_at, door_id, reader_id, credential, raw_bits, badge_id,
                                 person_id, granted, reason, event_key)
      SELECT gatehouse_ts(u.occurred::bigint), u.door, u.reader, u.credential, u.raw,
             u.badge::bigint, u.person::bigint, u.granted::boolean, u.reason, u.key
      FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::text[], $6::text[],
                  $7::text[], $8::text[], $9::text[], $10::text[])
           WITH ORDINALITY AS u(occurred, door, reader, credential, raw, badge, person, granted,
                                reason, key, n)
      ORDER BY u.n
      ON CONFLICT (event_key) DO NOTHING)sql",
                {text_array(occurred), text_array(door), text_array(reader), text_array(credential),
                 text_array(raw), text_array(badge), text_array(person), text_array(granted),
                 text_array(reason), text_array(key)});
  if (!r.ok()) return r.error();
  return Status();
}

Result<std::vector<AccessEventRow>> query_access_events(Connection& conn,
                                                        const AccessEventFilter& filter) {
  if (filter.limit < 1 || filter.limit > kMaxQueryLimit) {
    return make_error(ErrorKind::kInvalidInput, "limit must be from 1 to " +
                                                    std::to_string(kMaxQueryLimit) + ", got " +
                                                    std::to_string(filter.limit));
  }
  Result<Rows> r =
      conn.exec(R"sql(
      SELECT id, gatehouse_us(occurred_at), door_id, reader_id, credential, raw_bits, badge_id,
             person_id, granted, reason, event_key, gatehouse_us(recorded_at)
      FROM access_events
      WHERE ($1::text IS NULL OR door_id = $1)
        AND ($2::bigint IS NULL OR person_id = $2::bigint)
        AND ($3::bigint IS NULL OR occurred_at >= gatehouse_ts($3::bigint))
        AND ($4::bigint IS NULL OR occurred_at < gatehouse_ts($4::bigint))
      ORDER BY occurred_at DESC, id DESC
      LIMIT $5::integer)sql",
                {filter.door_id.empty() ? Param() : Param(filter.door_id),
                 detail::opt_int_param(filter.person_id), detail::opt_us_param(filter.from),
                 detail::opt_us_param(filter.to), std::to_string(filter.limit)});
  if (!r.ok()) return r.error();
  std::vector<AccessEventRow> out;
  out.reserve(static_cast<std::size_t>(r->size()));
  for (int i = 0; i < r->size(); ++i) {
    AccessEventRow e;
    e.id = r->int64(i, 0);
    e.occurred_at = detail::time_at(*r, i, 1);
    e.door_id = r->text(i, 2);
    e.reader_id = r->text(i, 3);
    e.credential = r->opt_text(i, 4);
    e.raw_bits = r->opt_text(i, 5);
    e.badge_id = detail::opt_int(*r, i, 6);
    e.person_id = detail::opt_int(*r, i, 7);
    e.granted = r->boolean(i, 8);
    e.reason = r->text(i, 9);
    e.event_key = r->opt_text(i, 10);
    e.recorded_at = detail::time_at(*r, i, 11);
    out.push_back(std::move(e));
  }
  return out;
}

}  // namespace gatehouse::db
