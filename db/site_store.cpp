#include "db/site_store.h"

#include <algorithm>
#include <cctype>
#include <map>
#include <string>
#include <vector>

#include "base/log.h"
#include "db/table_sync.h"

namespace gatehouse::db {
namespace {

using site::Site;
using Cell = std::optional<std::string>;

// See db/migrate.cpp: same class, one number per purpose.
constexpr const char* kLockClass = "1195463749";
constexpr const char* kLockSiteApply = "2";

constexpr SyncColumn kId{"id", "text"};
constexpr SyncColumn kName{"name", "text"};

// One entry per site table, in the order apply_site() syncs them. Deferred
// foreign keys make the order irrelevant to correctness.
const std::vector<TableSpec>& table_specs() {
  static const std::vector<TableSpec> kSpecs = {
      {"site",
       {{"id", "boolean"}},
       {kName,
        {"timezone", "text"},
        {"suspend_unused_badges_after_days", "integer"},
        {"pin_attempts", "integer"},
        {"pin_lockout_minutes", "integer"}}},
      {"schedules", {kId}, {kName}},
      {"schedule_intervals",
       {{"schedule_id", "text"}, {"day", "smallint"}, {"start_min", "smallint"}},
       {{"end_min", "smallint"}}},
      {"schedule_holidays", {{"schedule_id", "text"}, {"holiday", "date"}}, {}},
      {"person_groups", {kId}, {kName}},
      {"areas", {kId}, {kName, {"two_person", "boolean"}, {"anti_passback", "text"}}},
      {"area_restricted_groups", {{"area_id", "text"}, {"group_id", "text"}}, {}},
      {"io_modules",
       {kId},
       {kName,
        {"modbus", "text"},
        {"unit", "smallint"},
        {"poll_ms", "integer"},
        {"timeout_ms", "integer"},
        {"retries", "integer"},
        {"coil_base", "integer"},
        {"input_base", "integer"},
        {"input_count", "integer"}}},
      {"readers",
       {kId},
       {kName,
        {"osdp", "text"},
        {"address", "smallint"},
        {"secure_channel", "boolean"},
        {"keypad", "boolean"}}},
      {"cameras", {kId}, {kName, {"url", "text"}, {"retention_days", "integer"}}},
      {"doors",
       {kId},
       {kName,
        {"from_area_id", "text"},
        {"to_area_id", "text"},
        {"reader_id", "text"},
        {"mode", "text"},
        {"lock_io_id", "text"},
        {"lock_coil", "integer"},
        {"lock_fail", "text"},
        {"contact_io_id", "text"},
        {"contact_input", "integer"},
        {"contact_normally", "text"},
        {"exit_io_id", "text"},
        {"exit_input", "integer"},
        {"exit_normally", "text"},
        {"unlock_seconds", "integer"},
        {"held_open_seconds", "integer"},
        {"unlocked_during_schedule_id", "text"},
        {"visitor_escort", "boolean"}}},
      {"door_cameras", {{"door_id", "text"}, {"camera_id", "text"}}, {{"position", "smallint"}}},
      {"access_levels", {kId}, {kName, {"schedule_id", "text"}}},
      {"access_level_groups", {{"access_level_id", "text"}, {"group_id", "text"}}, {}},
      {"access_level_doors", {{"access_level_id", "text"}, {"door_id", "text"}}, {}},
  };
  return kSpecs;
}

Cell num(int v) { return std::to_string(v); }
Cell flag(bool v) { return v ? "true" : "false"; }
Cell str(std::string_view v) { return std::string(v); }
Cell opt_id(const std::string& v) { return v.empty() ? Cell() : Cell(v); }

// The rows of every site table for `site`, keyed by table name.
std::map<std::string_view, std::vector<SyncRow>> rows_for(const Site& s) {
  std::map<std::string_view, std::vector<SyncRow>> t;
  t["site"].push_back({"true", s.name, s.timezone, num(s.suspend_unused_days),
                       num(s.pin_attempts), num(s.pin_lockout_minutes)});
  for (const auto& x : s.schedules) {
    t["schedules"].push_back({x.id, x.name});
    for (const auto& [day, intervals] : x.weekly) {
      for (const auto& i : intervals) {
        t["schedule_intervals"].push_back({x.id, num(day), num(i.start_min), num(i.end_min)});
      }
    }
    for (const auto& h : x.holidays) t["schedule_holidays"].push_back({x.id, h});
  }
  for (const auto& x : s.groups) t["person_groups"].push_back({x.id, x.name});
  for (const auto& x : s.areas) {
    t["areas"].push_back({x.id, x.name, flag(x.two_person), str(site::to_string(x.anti_passback))});
    for (const auto& g : x.restricted_to) t["area_restricted_groups"].push_back({x.id, g});
  }
  for (const auto& x : s.io_modules) {
    t["io_modules"].push_back({x.id, x.name, x.modbus, num(x.unit), num(x.poll_ms),
                               num(x.timeout_ms), num(x.retries), num(x.coil_base),
                               num(x.input_base), num(x.input_count)});
  }
  for (const auto& x : s.readers) {
    t["readers"].push_back(
        {x.id, x.name, x.osdp, num(x.address), flag(x.secure_channel), flag(x.keypad)});
  }
  for (const auto& x : s.cameras) {
    t["cameras"].push_back({x.id, x.name, x.url, num(x.retention_days)});
  }
  for (const auto& d : s.doors) {
    SyncRow row = {d.id, d.name, d.from_area, d.to_area, d.reader, str(site::to_string(d.mode)),
                   d.lock.io, num(d.lock.coil), str(site::to_string(d.lock.fail))};
    for (const auto& point : {d.contact, d.exit_button}) {
      if (point) {
        row.insert(row.end(), {point->io, num(point->input), str(site::to_string(point->normally))});
      } else {
        row.insert(row.end(), {Cell(), Cell(), Cell()});
      }
    }
    row.insert(row.end(),
               {num(d.unlock_seconds), num(d.held_open_seconds), opt_id(d.unlocked_during),
                flag(d.visitor_escort)});
    t["doors"].push_back(std::move(row));
    for (std::size_t i = 0; i < d.cameras.size(); ++i) {
      t["door_cameras"].push_back({d.id, d.cameras[i], num(static_cast<int>(i))});
    }
  }
  for (const auto& x : s.access_levels) {
    t["access_levels"].push_back({x.id, x.name, x.schedule});
    for (const auto& g : x.groups) t["access_level_groups"].push_back({x.id, g});
    for (const auto& d : x.doors) t["access_level_doors"].push_back({x.id, d});
  }
  return t;
}

Result<Cell> normalise_sha256(std::string_view hex) {
  if (hex.empty()) return Cell();
  std::string out;
  for (char c : hex) {
    if (!std::isxdigit(static_cast<unsigned char>(c))) break;
    out += static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  }
  if (out.size() != 64 || hex.size() != 64) {
    return make_error(ErrorKind::kInvalidInput,
                      "file sha256 must be 64 hex digits, got '" + std::string(hex) + "'");
  }
  return Cell(out);
}

// ---- loading ----

Error bad_value(std::string_view what, std::string_view value) {
  return make_error(ErrorKind::kInternal,
                    "unexpected " + std::string(what) + " '" + std::string(value) + "' in database");
}

Result<site::AntiPassback> parse_anti_passback(std::string_view v) {
  if (v == "none") return site::AntiPassback::kNone;
  if (v == "soft") return site::AntiPassback::kSoft;
  if (v == "hard") return site::AntiPassback::kHard;
  return bad_value("anti_passback", v);
}

Result<site::Polarity> parse_polarity(std::string_view v) {
  if (v == "closed") return site::Polarity::kNormallyClosed;
  if (v == "open") return site::Polarity::kNormallyOpen;
  return bad_value("polarity", v);
}

Result<site::FailMode> parse_fail(std::string_view v) {
  if (v == "secure") return site::FailMode::kSecure;
  if (v == "safe") return site::FailMode::kSafe;
  return bad_value("lock_fail", v);
}

Result<site::DoorMode> parse_mode(std::string_view v) {
  if (v == "card") return site::DoorMode::kCard;
  if (v == "card-and-pin") return site::DoorMode::kCardAndPin;
  return bad_value("door mode", v);
}

int as_int(const Rows& r, int row, int col) { return static_cast<int>(r.int64(row, col)); }

template <typename T>
T* find_by_id(std::vector<T>& items, std::string_view id) {
  auto it = std::find_if(items.begin(), items.end(), [id](const T& x) { return x.id == id; });
  return it == items.end() ? nullptr : &*it;
}

Error orphan(std::string_view table, std::string_view id) {
  return make_error(ErrorKind::kInternal,
                    std::string(table) + " row refers to missing '" + std::string(id) + "'");
}

// Every query sorts ids with COLLATE "C" so the order is bytewise whatever
// the database's collation, matching canonical_site().
Status load_schedules(Connection& c, Site& s) {
  Result<Rows> r = c.exec(R"sql(SELECT id, name FROM schedules ORDER BY id COLLATE "C")sql");
  if (!r.ok()) return r.error();
  for (int i = 0; i < r->size(); ++i) {
    site::Schedule x;
    x.id = r->text(i, 0);
    x.name = r->text(i, 1);
    s.schedules.push_back(std::move(x));
  }
  r = c.exec(R"sql(SELECT schedule_id, day, start_min, end_min FROM schedule_intervals
                   ORDER BY schedule_id COLLATE "C", day, start_min)sql");
  if (!r.ok()) return r.error();
  for (int i = 0; i < r->size(); ++i) {
    site::Schedule* x = find_by_id(s.schedules, r->text(i, 0));
    if (x == nullptr) return orphan("schedule_intervals", r->text(i, 0));
    x->weekly[as_int(*r, i, 1)].push_back({as_int(*r, i, 2), as_int(*r, i, 3)});
  }
  r = c.exec(R"sql(SELECT schedule_id, to_char(holiday, 'YYYY-MM-DD') FROM schedule_holidays
                   ORDER BY schedule_id COLLATE "C", holiday)sql");
  if (!r.ok()) return r.error();
  for (int i = 0; i < r->size(); ++i) {
    site::Schedule* x = find_by_id(s.schedules, r->text(i, 0));
    if (x == nullptr) return orphan("schedule_holidays", r->text(i, 0));
    x->holidays.emplace_back(r->text(i, 1));
  }
  return Status();
}

Status load_areas_and_groups(Connection& c, Site& s) {
  Result<Rows> r = c.exec(R"sql(SELECT id, name FROM person_groups ORDER BY id COLLATE "C")sql");
  if (!r.ok()) return r.error();
  for (int i = 0; i < r->size(); ++i) {
    s.groups.push_back({std::string(r->text(i, 0)), std::string(r->text(i, 1))});
  }
  r = c.exec(R"sql(SELECT id, name, two_person, anti_passback FROM areas ORDER BY id COLLATE "C")sql");
  if (!r.ok()) return r.error();
  for (int i = 0; i < r->size(); ++i) {
    site::Area x;
    x.id = r->text(i, 0);
    x.name = r->text(i, 1);
    x.two_person = r->boolean(i, 2);
    Result<site::AntiPassback> ap = parse_anti_passback(r->text(i, 3));
    if (!ap.ok()) return ap.error();
    x.anti_passback = *ap;
    s.areas.push_back(std::move(x));
  }
  r = c.exec(R"sql(SELECT area_id, group_id FROM area_restricted_groups
                   ORDER BY area_id COLLATE "C", group_id COLLATE "C")sql");
  if (!r.ok()) return r.error();
  for (int i = 0; i < r->size(); ++i) {
    site::Area* x = find_by_id(s.areas, r->text(i, 0));
    if (x == nullptr) return orphan("area_restricted_groups", r->text(i, 0));
    x->restricted_to.emplace_back(r->text(i, 1));
  }
  return Status();
}

Status load_devices(Connection& c, Site& s) {
  Result<Rows> r = c.exec(R"sql(SELECT id, name, modbus, unit, poll_ms, timeout_ms, retries,
                                       coil_base, input_base, input_count
                                FROM io_modules ORDER BY id COLLATE "C")sql");
  if (!r.ok()) return r.error();
  for (int i = 0; i < r->size(); ++i) {
    site::IoModule x;
    x.id = r->text(i, 0);
    x.name = r->text(i, 1);
    x.modbus = r->text(i, 2);
    x.unit = as_int(*r, i, 3);
    x.poll_ms = as_int(*r, i, 4);
    x.timeout_ms = as_int(*r, i, 5);
    x.retries = as_int(*r, i, 6);
    x.coil_base = as_int(*r, i, 7);
    x.input_base = as_int(*r, i, 8);
    x.input_count = as_int(*r, i, 9);
    s.io_modules.push_back(std::move(x));
  }
  r = c.exec(R"sql(SELECT id, name, osdp, address, secure_channel, keypad
                   FROM readers ORDER BY id COLLATE "C")sql");
  if (!r.ok()) return r.error();
  for (int i = 0; i < r->size(); ++i) {
    site::Reader x;
    x.id = r->text(i, 0);
    x.name = r->text(i, 1);
    x.osdp = r->text(i, 2);
    x.address = as_int(*r, i, 3);
    x.secure_channel = r->boolean(i, 4);
    x.keypad = r->boolean(i, 5);
    s.readers.push_back(std::move(x));
  }
  r = c.exec(R"sql(SELECT id, name, url, retention_days FROM cameras ORDER BY id COLLATE "C")sql");
  if (!r.ok()) return r.error();
  for (int i = 0; i < r->size(); ++i) {
    site::Camera x;
    x.id = r->text(i, 0);
    x.name = r->text(i, 1);
    x.url = r->text(i, 2);
    x.retention_days = as_int(*r, i, 3);
    s.cameras.push_back(std::move(x));
  }
  return Status();
}

Result<std::optional<site::InputPoint>> input_point(const Rows& r, int row, int col) {
  if (r.is_null(row, col)) return std::optional<site::InputPoint>();
  site::InputPoint p;
  p.io = r.text(row, col);
  p.input = as_int(r, row, col + 1);
  Result<site::Polarity> pol = parse_polarity(r.text(row, col + 2));
  if (!pol.ok()) return pol.error();
  p.normally = *pol;
  return std::optional<site::InputPoint>(p);
}

Status load_doors(Connection& c, Site& s) {
  Result<Rows> r = c.exec(R"sql(
      SELECT id, name, from_area_id, to_area_id, reader_id, mode, lock_io_id, lock_coil, lock_fail,
             contact_io_id, contact_input, contact_normally, exit_io_id, exit_input, exit_normally,
             unlock_seconds, held_open_seconds, unlocked_during_schedule_id, visitor_escort
      FROM doors ORDER BY id COLLATE "C")sql");
  if (!r.ok()) return r.error();
  for (int i = 0; i < r->size(); ++i) {
    site::Door d;
    d.id = r->text(i, 0);
    d.name = r->text(i, 1);
    d.from_area = r->text(i, 2);
    d.to_area = r->text(i, 3);
    d.reader = r->text(i, 4);
    Result<site::DoorMode> mode = parse_mode(r->text(i, 5));
    if (!mode.ok()) return mode.error();
    d.mode = *mode;
    d.lock.io = r->text(i, 6);
    d.lock.coil = as_int(*r, i, 7);
    Result<site::FailMode> fail = parse_fail(r->text(i, 8));
    if (!fail.ok()) return fail.error();
    d.lock.fail = *fail;
    Result<std::optional<site::InputPoint>> contact = input_point(*r, i, 9);
    if (!contact.ok()) return contact.error();
    d.contact = *contact;
    Result<std::optional<site::InputPoint>> exit = input_point(*r, i, 12);
    if (!exit.ok()) return exit.error();
    d.exit_button = *exit;
    d.unlock_seconds = as_int(*r, i, 15);
    d.held_open_seconds = as_int(*r, i, 16);
    d.unlocked_during = r->text(i, 17);
    d.visitor_escort = r->boolean(i, 18);
    s.doors.push_back(std::move(d));
  }
  r = c.exec(R"sql(SELECT door_id, camera_id FROM door_cameras
                   ORDER BY door_id COLLATE "C", position)sql");
  if (!r.ok()) return r.error();
  for (int i = 0; i < r->size(); ++i) {
    site::Door* d = find_by_id(s.doors, r->text(i, 0));
    if (d == nullptr) return orphan("door_cameras", r->text(i, 0));
    d->cameras.emplace_back(r->text(i, 1));
  }
  return Status();
}

Status load_access_levels(Connection& c, Site& s) {
  Result<Rows> r =
      c.exec(R"sql(SELECT id, name, schedule_id FROM access_levels ORDER BY id COLLATE "C")sql");
  if (!r.ok()) return r.error();
  for (int i = 0; i < r->size(); ++i) {
    site::AccessLevel x;
    x.id = r->text(i, 0);
    x.name = r->text(i, 1);
    x.schedule = r->text(i, 2);
    s.access_levels.push_back(std::move(x));
  }
  for (const bool doors : {false, true}) {
    r = c.exec(doors ? R"sql(SELECT access_level_id, door_id FROM access_level_doors
                             ORDER BY access_level_id COLLATE "C", door_id COLLATE "C")sql"
                     : R"sql(SELECT access_level_id, group_id FROM access_level_groups
                             ORDER BY access_level_id COLLATE "C", group_id COLLATE "C")sql");
    if (!r.ok()) return r.error();
    for (int i = 0; i < r->size(); ++i) {
      site::AccessLevel* x = find_by_id(s.access_levels, r->text(i, 0));
      if (x == nullptr) return orphan("access level link", r->text(i, 0));
      (doors ? x->doors : x->groups).emplace_back(r->text(i, 1));
    }
  }
  return Status();
}

template <typename T>
void sort_by_id(std::vector<T>& items) {
  std::sort(items.begin(), items.end(), [](const T& a, const T& b) { return a.id < b.id; });
}

}  // namespace

Result<ApplyReport> apply_site(Connection& conn, const Site& site, std::string_view operator_name,
                               std::string_view file_sha256) {
  Result<Cell> sha = normalise_sha256(file_sha256);
  if (!sha.ok()) return sha.error();
  const std::map<std::string_view, std::vector<SyncRow>> rows = rows_for(site);

  Result<Transaction> tx = Transaction::begin(conn);
  if (!tx.ok()) return tx.error();
  // Two applies at once would each see the other's rows as stale and could
  // deadlock on them; one at a time, the second sees the first's result.
  Result<Rows> locked = conn.exec("SELECT pg_advisory_xact_lock($1::integer, $2::integer)",
                                  {kLockClass, kLockSiteApply});
  if (!locked.ok()) return locked.error();

  ApplyReport report;
  static const std::vector<SyncRow> kNone;
  for (const TableSpec& spec : table_specs()) {
    auto it = rows.find(spec.table);
    Result<SyncCounts> n = sync_table(conn, spec, it == rows.end() ? kNone : it->second);
    if (!n.ok()) {
      return make_error(n.error().kind, "site table " + std::string(spec.table) + ": " +
                                            n.error().message);
    }
    report.inserted += n->inserted;
    report.updated += n->updated;
    report.deleted += n->deleted;
  }

  if (report.changed()) {
    auto count = [](std::size_t n) { return Cell(std::to_string(n)); };
    Result<Rows> rev = conn.exec(
        R"sql(INSERT INTO site_revisions (operator, file_sha256, rows_inserted, rows_updated,
                rows_deleted, schedules, areas, person_groups, access_levels, io_modules,
                readers, cameras, doors)
              VALUES ($1, $2, $3::integer, $4::integer, $5::integer, $6::integer, $7::integer,
                $8::integer, $9::integer, $10::integer, $11::integer, $12::integer, $13::integer)
              RETURNING id)sql",
        {std::string(operator_name), *sha, num(report.inserted), num(report.updated),
         num(report.deleted), count(site.schedules.size()), count(site.areas.size()),
         count(site.groups.size()), count(site.access_levels.size()),
         count(site.io_modules.size()), count(site.readers.size()), count(site.cameras.size()),
         count(site.doors.size())});
    if (!rev.ok()) return rev.error();
    report.revision = rev->int64(0, 0);
  }
  // Deferred foreign keys are checked here: a dangling reference fails the
  // commit (kConflict) and the whole apply rolls back.
  if (Status s = tx->commit(); !s.ok()) return s.error();
  if (report.changed()) {
    log(LogLevel::kInfo, "db", "site applied",
        {{"revision", std::to_string(report.revision)},
         {"inserted", std::to_string(report.inserted)},
         {"updated", std::to_string(report.updated)},
         {"deleted", std::to_string(report.deleted)},
         {"operator", std::string(operator_name)}});
  }
  return report;
}

Result<Site> load_site(Connection& conn) {
  Result<Transaction> tx = Transaction::begin(conn);
  if (!tx.ok()) return tx.error();
  // One snapshot for all the reads, so a concurrent apply is seen whole or not at all.
  Result<Rows> iso = conn.exec("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY");
  if (!iso.ok()) return iso.error();
  Result<Rows> r = conn.exec(
      "SELECT name, timezone, suspend_unused_badges_after_days, pin_attempts, pin_lockout_minutes "
      "FROM site");
  if (!r.ok()) return r.error();
  if (r->size() == 0) return make_error(ErrorKind::kNotFound, "no site has been applied");
  Site s;
  s.name = r->text(0, 0);
  s.timezone = r->text(0, 1);
  s.suspend_unused_days = as_int(*r, 0, 2);
  s.pin_attempts = as_int(*r, 0, 3);
  s.pin_lockout_minutes = as_int(*r, 0, 4);
  for (auto* load : {load_schedules, load_areas_and_groups, load_devices, load_doors,
                     load_access_levels}) {
    if (Status st = load(conn, s); !st.ok()) return st.error();
  }
  if (Status st = tx->commit(); !st.ok()) return st.error();
  return s;
}

Site canonical_site(Site s) {
  sort_by_id(s.schedules);
  for (auto& x : s.schedules) {
    for (auto it = x.weekly.begin(); it != x.weekly.end();) {
      if (it->second.empty()) {
        it = x.weekly.erase(it);
        continue;
      }
      std::sort(it->second.begin(), it->second.end(),
                [](const site::Interval& a, const site::Interval& b) {
                  return a.start_min < b.start_min;
                });
      ++it;
    }
    std::sort(x.holidays.begin(), x.holidays.end());
  }
  sort_by_id(s.areas);
  for (auto& x : s.areas) std::sort(x.restricted_to.begin(), x.restricted_to.end());
  sort_by_id(s.groups);
  sort_by_id(s.access_levels);
  for (auto& x : s.access_levels) {
    std::sort(x.groups.begin(), x.groups.end());
    std::sort(x.doors.begin(), x.doors.end());
  }
  sort_by_id(s.io_modules);
  sort_by_id(s.readers);
  sort_by_id(s.cameras);
  sort_by_id(s.doors);
  return s;
}

}  // namespace gatehouse::db
