#include "controller/cli_doors.h"

#include "controller/cli_common.h"
#include "db/door_store.h"
#include "db/reader_key_store.h"

namespace gatehouse::controller {

const char* const kDoorUsage = R"(
Doors and alarms (every change records --operator, default: your login):
  door mode DOOR normal                 back to normal (and its schedule)
  door mode DOOR unlock --for SECONDS   momentary unlock by an operator
  door mode DOOR lock [--allow GROUP]   locked: only GROUP passes (none given: nobody)
  door events DOOR [--limit N]          the door's recent events
  alarm list [--all]                    open alarms (--all: acknowledged too)
  alarm ack ALARM --note TEXT           acknowledge an alarm
  reader install-mode READER on [--minutes N]   allow the default install key (default 15 min)
  reader install-mode READER off
)";

namespace {

std::optional<int> parse_positive(const std::string& text, int max) {
  if (text.empty() || text.size() > 9 || text.find_first_not_of("0123456789") != std::string::npos) {
    return std::nullopt;
  }
  int v = std::stoi(text);
  if (v < 1 || v > max) return std::nullopt;
  return v;
}

int door_command(const std::vector<std::string>& args, std::ostream& out, std::ostream& err) {
  const std::string sub = args.size() > 2 ? args[2] : "";
  Parsed p = parse_args(args, 3, {"operator", "var", "reason", "for", "allow", "limit"});
  if (!p.error.empty()) {
    err << p.error << "\n";
    return 2;
  }
  if (sub == "mode" && p.positional.size() == 2) {
    db::DoorModeRow row;
    row.door_id = p.positional[0];
    row.operator_name = operator_name(p);
    row.reason = option(p, "reason").value_or("");
    const std::string& mode = p.positional[1];
    const WallTime now = SystemClock::instance().wall();
    if (mode == "normal") {
      row.mode = db::DoorModeKind::kNormal;
    } else if (mode == "unlock") {
      auto seconds = parse_positive(option(p, "for").value_or(""), 24 * 3600);
      if (!seconds) {
        err << "door mode DOOR unlock needs --for SECONDS (1 to 86400)\n";
        return 2;
      }
      row.mode = db::DoorModeKind::kUnlocked;
      row.until = WallTime{now.us + std::int64_t{*seconds} * 1'000'000};
    } else if (mode == "lock") {
      row.mode = db::DoorModeKind::kLocked;
      row.allowed_group = option(p, "allow");
    } else {
      err << "unknown mode '" << mode << "' (normal, unlock, lock)\n";
      return 2;
    }
    DbSession db;
    if (!open_database(p, db, err)) return 1;
    if (Status s = db::set_door_mode(*db.conn, row); !s.ok()) return fail(err, s.error());
    out << row.door_id << ": ";
    if (row.mode == db::DoorModeKind::kNormal) out << "normal";
    if (row.mode == db::DoorModeKind::kUnlocked) {
      out << "unlocked until " << format_local(*row.until, site_zone(*db.conn));
    }
    if (row.mode == db::DoorModeKind::kLocked) {
      out << "locked; " << (row.allowed_group ? "only group '" + *row.allowed_group + "' passes"
                                              : std::string("nobody passes"));
    }
    out << " (set by " << row.operator_name << ")\n";
    return 0;
  }
  if (sub == "events" && p.positional.size() == 1) {
    auto limit = parse_positive(option(p, "limit").value_or("50"), 10000);
    if (!limit) {
      err << "--limit is 1 to 10000\n";
      return 2;
    }
    DbSession db;
    if (!open_database(p, db, err)) return 1;
    const std::string zone = site_zone(*db.conn);
    auto events = db::query_door_events(*db.conn, p.positional[0], *limit);
    if (!events.ok()) return fail(err, events.error());
    for (const auto& e : *events) {
      out << format_local(e.occurred_at, zone) << "  " << e.kind;
      if (!e.detail.empty()) out << "  " << e.detail;
      if (e.operator_name) out << "  by " << *e.operator_name;
      out << "\n";
    }
    return 0;
  }
  err << "usage:" << kDoorUsage;
  return 2;
}

int alarm_command(const std::vector<std::string>& args, std::ostream& out, std::ostream& err) {
  const std::string sub = args.size() > 2 ? args[2] : "";
  Parsed p = parse_args(args, 3, {"operator", "var", "note"}, {"all"});
  if (!p.error.empty()) {
    err << p.error << "\n";
    return 2;
  }
  if (sub == "list" && p.positional.empty()) {
    DbSession db;
    if (!open_database(p, db, err)) return 1;
    const std::string zone = site_zone(*db.conn);
    auto alarms = db::list_alarms(*db.conn, !flag(p, "all"), 1000);
    if (!alarms.ok()) return fail(err, alarms.error());
    for (const auto& a : *alarms) {
      out << "alarm " << a.id << "  " << a.kind << "  " << a.door_id << "  raised "
          << format_local(a.raised_at, zone);
      if (a.occurrences > 1) out << "  x" << a.occurrences;
      out << (a.condition_cleared_at ? "  (condition cleared)" : "  (condition present)");
      if (a.acknowledged_at) {
        out << "  acknowledged by " << a.acknowledged_by << ": " << a.ack_note;
      } else {
        out << "  OPEN";
      }
      out << "\n";
    }
    out << alarms->size() << (flag(p, "all") ? " alarms\n" : " open alarms\n");
    return 0;
  }
  if (sub == "ack" && p.positional.size() == 1) {
    auto id = parse_positive(p.positional[0], 2'000'000'000);
    auto note = option(p, "note");
    if (!id || !note || note->empty()) {
      err << "alarm ack ALARM --note TEXT (what was found; it is recorded with your name)\n";
      return 2;
    }
    DbSession db;
    if (!open_database(p, db, err)) return 1;
    auto acked = db::acknowledge_alarm(*db.conn, *id, operator_name(p), *note,
                                       SystemClock::instance().wall());
    if (!acked.ok()) return fail(err, acked.error());
    out << "alarm " << acked->id << " (" << acked->kind << " at " << acked->door_id
        << ") acknowledged by " << acked->acknowledged_by << "\n";
    return 0;
  }
  err << "usage:" << kDoorUsage;
  return 2;
}

int reader_command(const std::vector<std::string>& args, std::ostream& out, std::ostream& err) {
  const std::string sub = args.size() > 2 ? args[2] : "";
  Parsed p = parse_args(args, 3, {"operator", "var", "minutes"});
  if (!p.error.empty()) {
    err << p.error << "\n";
    return 2;
  }
  if (sub == "install-mode" && p.positional.size() == 2 &&
      (p.positional[1] == "on" || p.positional[1] == "off")) {
    DbSession db;
    if (!open_database(p, db, err)) return 1;
    const std::string& reader = p.positional[0];
    if (p.positional[1] == "off") {
      if (Status s = db::disable_install_mode(*db.conn, reader); !s.ok()) return fail(err, s.error());
      out << reader << ": install mode off\n";
      return 0;
    }
    auto minutes = parse_positive(option(p, "minutes").value_or("15"), 24 * 60);
    if (!minutes) {
      err << "--minutes is 1 to 1440\n";
      return 2;
    }
    const WallTime until{SystemClock::instance().wall().us + std::int64_t{*minutes} * 60'000'000};
    if (Status s = db::enable_install_mode(*db.conn, reader, operator_name(p), until); !s.ok()) {
      return fail(err, s.error());
    }
    out << reader << ": install mode on until " << format_local(until, site_zone(*db.conn))
        << " (the reader may use the default key once, to receive its own)\n";
    return 0;
  }
  err << "usage:" << kDoorUsage;
  return 2;
}

}  // namespace

std::optional<int> run_door_command(const std::vector<std::string>& args, std::ostream& out,
                                    std::ostream& err) {
  if (args.size() < 2) return std::nullopt;
  if (args[1] == "door") return door_command(args, out, err);
  if (args[1] == "alarm") return alarm_command(args, out, err);
  if (args[1] == "reader") return reader_command(args, out, err);
  return std::nullopt;
}

}  // namespace gatehouse::controller
