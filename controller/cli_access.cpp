#include "controller/cli_access.h"

#include <fstream>
#include <iostream>
#include <sstream>

#include "controller/access/pin.h"
#include "controller/cli_common.h"
#include "controller/people_csv.h"
#include "db/badge_lifecycle.h"
#include "db/badge_store.h"
#include "db/lockdown_store.h"
#include "db/people_store.h"
#include "db/visitor_store.h"
#include "readers/wiegand.h"

namespace gatehouse::controller {

const char* const kAccessUsage = R"(
People, badges, visitors (every change records --operator, default: your login):
  people import FILE.csv            import an HR export (docs/people-import.md)
  people show ID                    a person, their groups and badges
  people group add|remove ID GROUP  change a group membership
  people forgive ID --reason TEXT   anti-passback: forget where ID was last recorded
  badge issue PERSON --card FORMAT:FACILITY:NUMBER | --raw BITS
        [--valid-from T] [--valid-until T] [--reason TEXT] [--activate]
  badge activate|suspend|reinstate|revoke BADGE [--reason TEXT]
  badge pin BADGE                   set the PIN (read from standard input)
  badge show BADGE | --card ... | --raw BITS
  badge list [--person ID] [--state STATE] [--visitor-passes]
  badge sweep                       suspend badges unused for the site's limit
  visitor register --name NAME --host ID [--ref REF] [--from T] [--until T]
  visitor check-in VISIT --card FORMAT:FACILITY:NUMBER | --raw BITS
  visitor check-out VISIT
  visitor list [--on-site | --today | --all]
  lockdown start [--allow GROUP]    deny everyone but GROUP (or everyone)
  lockdown lift
Times T: 2026-03-03T09:15:00Z, or 2026-03-03T09:15 / 2026-03-03 in site time.
)";

namespace {

const std::vector<std::string> kCommon = {"operator", "var", "reason"};

std::vector<std::string> with_common(std::vector<std::string> extra) {
  extra.insert(extra.end(), kCommon.begin(), kCommon.end());
  return extra;
}

struct CardArg {
  std::string credential;
  std::string format;
  std::optional<std::int64_t> facility;
  std::optional<std::int64_t> number;
};

// --card FORMAT:FACILITY:NUMBER (as printed on the card) or --raw BITS (as read).
Result<CardArg> parse_card_arg(const Parsed& p) {
  auto card = option(p, "card");
  auto raw = option(p, "raw");
  if (card.has_value() == raw.has_value()) {
    return make_error(ErrorKind::kInvalidInput,
                      "give the card as --card FORMAT:FACILITY:NUMBER (e.g. H10301:18:1234) or "
                      "--raw BITS (the bits as read, e.g. 0101...)");
  }
  CardArg out;
  if (raw) {
    auto bits = readers::raw_card_from_bit_string(*raw);
    if (!bits.ok()) return bits.error();
    auto decoded = readers::decode_card(*bits);
    if (!decoded.ok()) return decoded.error();
    out.credential = readers::to_string(decoded->key);
    out.format = std::string(readers::format_name(decoded->format));
    if (decoded->format != readers::CardFormat::kRaw) {
      out.facility = static_cast<std::int64_t>(decoded->facility);
      out.number = static_cast<std::int64_t>(decoded->card_number);
    }
    return out;
  }
  std::vector<std::string> parts;
  std::stringstream ss(*card);
  for (std::string part; std::getline(ss, part, ':');) parts.push_back(part);
  if (parts.size() != 3) {
    return make_error(ErrorKind::kInvalidInput,
                      "--card '" + *card + "' is not FORMAT:FACILITY:NUMBER (e.g. H10301:18:1234)");
  }
  auto format = readers::parse_format_name(parts[0]);
  if (!format || *format == readers::CardFormat::kRaw) {
    return make_error(ErrorKind::kInvalidInput,
                      "unknown card format '" + parts[0] +
                          "' (H10301, H10302, H10304, C1000-35, C1000-48; use --raw for others)");
  }
  std::uint64_t numbers[2] = {0, 0};
  for (int i = 0; i < 2; ++i) {
    const std::string& t = parts[static_cast<std::size_t>(i) + 1];
    if (t.empty() || t.size() > 18 || t.find_first_not_of("0123456789") != std::string::npos) {
      return make_error(ErrorKind::kInvalidInput, "'" + t + "' in --card is not a number");
    }
    numbers[i] = std::stoull(t);
  }
  auto key = readers::credential_key(*format, numbers[0], numbers[1]);
  if (!key.ok()) return key.error();
  out.credential = readers::to_string(*key);
  out.format = std::string(readers::format_name(*format));
  out.facility = static_cast<std::int64_t>(numbers[0]);
  out.number = static_cast<std::int64_t>(numbers[1]);
  return out;
}

std::optional<std::int64_t> parse_id(const std::string& text) {
  if (text.empty() || text.size() > 18 || text.find_first_not_of("0123456789") != std::string::npos) {
    return std::nullopt;
  }
  return std::stoll(text);
}

std::string card_label(const db::BadgeInfo& b) {
  // Appended piecewise: GCC 12 at -O3 misreports `" " + std::to_string(...)` as -Wrestrict.
  std::string s = b.format.empty() ? "raw" : b.format;
  if (b.facility && b.card_number) {
    s += ' ';
    s += std::to_string(*b.facility);
    s += ':';
    s += std::to_string(*b.card_number);
  }
  s += " (credential ";
  s += b.credential;
  s += ')';
  return s;
}

void print_badge_line(const db::BadgeInfo& b, std::ostream& out) {
  out << "badge " << b.id << "  " << db::to_string(b.state) << "  " << card_label(b) << "  "
      << b.person_external_id << " " << b.person_name << (b.visitor_pass ? "  [visitor pass]" : "")
      << "\n";
}

// ---------------------------------------------------------------- people

int people_command(const std::vector<std::string>& args, std::ostream& out, std::ostream& err) {
  const std::string sub = args.size() > 2 ? args[2] : "";
  Parsed p = parse_args(args, 3, kCommon);
  if (!p.error.empty()) {
    err << p.error << "\n";
    return 2;
  }
  if (sub == "import" && p.positional.size() == 1) {
    std::ifstream in(p.positional[0], std::ios::binary);
    if (!in) {
      err << p.positional[0] << ": cannot read file; nothing imported\n";
      return 1;
    }
    std::stringstream ss;
    ss << in.rdbuf();
    auto csv = parse_people_csv(ss.str());
    if (!csv.ok()) {
      err << p.positional[0] << ": " << csv.error().message << "\n";
      return 1;
    }
    DbSession db;
    if (!open_database(p, db, err)) return 1;
    std::vector<db::PersonImportRow> rows;
    for (const auto& c : csv->rows) {
      rows.push_back({c.line, c.external_id, c.name, c.kind, c.status, c.email, c.groups});
    }
    auto report = db::import_people(*db.conn, rows, operator_name(p));
    if (!report.ok()) return fail(err, report.error());
    // Rows the CSV reader refused and rows the database refused, in line order.
    std::vector<std::pair<int, std::string>> rejected;
    for (const auto& r : csv->rejected) rejected.emplace_back(r.line, r.reason);
    for (const auto& r : report->rejected) rejected.emplace_back(r.line, r.reason);
    std::sort(rejected.begin(), rejected.end());
    for (const auto& [line, reason] : rejected) {
      err << p.positional[0] << ":" << line << ": rejected: " << reason << "\n";
    }
    out << p.positional[0] << ": " << report->created << " created, " << report->updated
        << " updated, " << report->unchanged << " unchanged, " << report->terminated
        << " terminated (" << report->badges_revoked << " badges revoked), " << rejected.size()
        << " rejected; " << report->not_in_file << " people in the database are not in the file\n";
    if (!csv->ignored_columns.empty()) {
      out << "ignored columns:";
      for (const auto& c : csv->ignored_columns) out << " " << c;
      out << "\n";
    }
    return rejected.empty() ? 0 : 3;
  }
  if (sub == "show" && p.positional.size() == 1) {
    DbSession db;
    if (!open_database(p, db, err)) return 1;
    auto person = db::find_person(*db.conn, p.positional[0]);
    if (!person.ok()) return fail(err, person.error());
    if (!person->has_value()) {
      err << "no person '" << p.positional[0] << "'\n";
      return 1;
    }
    const db::PersonRow& row = **person;
    out << row.external_id << "  " << row.name << "  " << db::to_string(row.kind)
        << (row.active ? "" : "  TERMINATED") << "\ngroups:";
    for (const auto& g : row.groups) out << " " << g;
    out << (row.groups.empty() ? " (none)\n" : "\n");
    db::BadgeFilter filter;
    filter.person_external_id = row.external_id;
    auto badges = db::list_badges(*db.conn, filter);
    if (!badges.ok()) return fail(err, badges.error());
    for (const auto& b : *badges) print_badge_line(b, out);
    return 0;
  }
  if (sub == "group" && p.positional.size() == 3 &&
      (p.positional[0] == "add" || p.positional[0] == "remove")) {
    DbSession db;
    if (!open_database(p, db, err)) return 1;
    auto changed = p.positional[0] == "add"
                       ? db::add_person_to_group(*db.conn, p.positional[1], p.positional[2],
                                                 operator_name(p))
                       : db::remove_person_from_group(*db.conn, p.positional[1], p.positional[2],
                                                      operator_name(p));
    if (!changed.ok()) return fail(err, changed.error());
    out << p.positional[1] << (p.positional[0] == "add" ? " added to " : " removed from ")
        << p.positional[2] << (*changed ? "\n" : " (no change)\n");
    return 0;
  }
  if (sub == "forgive" && p.positional.size() == 1) {
    auto reason = option(p, "reason");
    if (!reason || reason->empty()) {
      err << "people forgive needs --reason (it is recorded with your name)\n";
      return 2;
    }
    DbSession db;
    if (!open_database(p, db, err)) return 1;
    auto id = db::forgive_passback(*db.conn, p.positional[0], operator_name(p), *reason);
    if (!id.ok()) return fail(err, id.error());
    out << p.positional[0] << ": anti-passback location cleared on every controller\n";
    return 0;
  }
  err << "usage:" << kAccessUsage;
  return 2;
}

// ---------------------------------------------------------------- badges

Result<db::BadgeInfo> find_badge(db::Connection& conn, const Parsed& p, std::size_t index) {
  if (p.positional.size() > index) {
    auto id = parse_id(p.positional[index]);
    if (!id) return make_error(ErrorKind::kInvalidInput, "'" + p.positional[index] + "' is not a badge number");
    db::BadgeFilter filter;
    filter.after_id = *id - 1;
    filter.limit = 1;
    auto list = db::list_badges(conn, filter);
    if (!list.ok()) return list.error();
    if (list->empty() || list->front().id != *id) {
      return make_error(ErrorKind::kNotFound, "no badge " + std::to_string(*id));
    }
    return list->front();
  }
  auto card = parse_card_arg(p);
  if (!card.ok()) return card.error();
  auto found = db::find_badge_by_credential(conn, card->credential);
  if (!found.ok()) return found.error();
  if (!found->has_value()) {
    return make_error(ErrorKind::kNotFound, "no badge has credential " + card->credential);
  }
  return **found;
}

int badge_command(const std::vector<std::string>& args, std::ostream& out, std::ostream& err) {
  const std::string sub = args.size() > 2 ? args[2] : "";
  Parsed p = parse_args(args, 3,
                        with_common({"card", "raw", "valid-from", "valid-until", "person", "state"}),
                        {"activate", "visitor-passes"});
  if (!p.error.empty()) {
    err << p.error << "\n";
    return 2;
  }
  const std::string reason = option(p, "reason").value_or("");
  if (sub == "issue" && p.positional.size() == 1) {
    auto card = parse_card_arg(p);
    if (!card.ok()) return fail(err, card.error());
    DbSession db;
    if (!open_database(p, db, err)) return 1;
    const std::string zone = site_zone(*db.conn);
    std::optional<WallTime> from, until;
    for (auto [name, target] : {std::pair{"valid-from", &from}, std::pair{"valid-until", &until}}) {
      if (auto t = option(p, name)) {
        auto parsed = parse_time_arg(*t, zone);
        if (!parsed.ok()) return fail(err, parsed.error());
        *target = *parsed;
      }
    }
    const std::string who = operator_name(p);
    auto id = db::issue_badge(*db.conn, p.positional[0], card->credential, card->format,
                              card->facility, card->number, from, until, who,
                              reason.empty() ? "issued" : reason);
    if (!id.ok()) return fail(err, id.error());
    out << "badge " << *id << " issued to " << p.positional[0] << ": " << card->format;
    if (card->facility) out << " " << *card->facility << ":" << *card->number;
    out << " (credential " << card->credential << ")\n";
    if (flag(p, "activate")) {
      auto state = db::transition_badge(*db.conn, *id, db::BadgeAction::kActivate, who,
                                        reason.empty() ? "activated at issue" : reason,
                                        SystemClock::instance().wall());
      if (!state.ok()) return fail(err, state.error());
      out << "badge " << *id << " active\n";
    }
    return 0;
  }
  const std::map<std::string, db::BadgeAction> actions = {{"activate", db::BadgeAction::kActivate},
                                                          {"suspend", db::BadgeAction::kSuspend},
                                                          {"reinstate", db::BadgeAction::kReinstate},
                                                          {"revoke", db::BadgeAction::kRevoke}};
  if (auto action = actions.find(sub); action != actions.end() && p.positional.size() == 1) {
    auto id = parse_id(p.positional[0]);
    if (!id) {
      err << "'" << p.positional[0] << "' is not a badge number\n";
      return 2;
    }
    DbSession db;
    if (!open_database(p, db, err)) return 1;
    auto state = db::transition_badge(*db.conn, *id, action->second, operator_name(p),
                                      reason.empty() ? sub : reason, SystemClock::instance().wall());
    if (!state.ok()) return fail(err, state.error());
    out << "badge " << *id << " " << db::to_string(*state) << "\n";
    return 0;
  }
  if (sub == "pin" && p.positional.size() == 1) {
    auto id = parse_id(p.positional[0]);
    if (!id) {
      err << "'" << p.positional[0] << "' is not a badge number\n";
      return 2;
    }
    // Read from standard input, never the command line: arguments are visible to every user.
    std::string pin;
    std::getline(std::cin, pin);
    if (pin.size() < 4 || pin.size() > 8 || pin.find_first_not_of("0123456789") != std::string::npos) {
      err << "a PIN is 4 to 8 digits\n";
      return 2;
    }
    auto hash = access::hash_pin(pin);
    if (!hash.ok()) return fail(err, hash.error());
    DbSession db;
    if (!open_database(p, db, err)) return 1;
    if (Status s = db::set_pin_hash(*db.conn, *id, *hash, operator_name(p)); !s.ok()) {
      return fail(err, s.error());
    }
    out << "badge " << *id << ": PIN set\n";
    return 0;
  }
  if (sub == "show") {
    DbSession db;
    if (!open_database(p, db, err)) return 1;
    auto badge = find_badge(*db.conn, p, 0);
    if (!badge.ok()) return fail(err, badge.error());
    const std::string zone = site_zone(*db.conn);
    const db::BadgeInfo& b = *badge;
    out << "badge " << b.id << "  " << card_label(b) << (b.visitor_pass ? "  [visitor pass]" : "")
        << "\n  holder     " << b.person_external_id << " " << b.person_name
        << "\n  state      " << db::to_string(b.state) << "\n  valid      "
        << (b.valid_from ? format_local(*b.valid_from, zone) : "(from issue)") << " .. "
        << (b.valid_until ? format_local(*b.valid_until, zone) : "(no end)") << "\n  PIN        "
        << (b.has_pin ? "set, " + std::to_string(b.pin_failures) + " failures" : "not set")
        << (b.pin_locked_until ? ", locked until " + format_local(*b.pin_locked_until, zone) : "")
        << "\n  last used  " << (b.last_used_at ? format_local(*b.last_used_at, zone) : "never")
        << "\nhistory:\n";
    auto history = db::badge_history(*db.conn, b.id);
    if (!history.ok()) return fail(err, history.error());
    for (const auto& t : *history) {
      std::string change = t.from ? std::string(db::to_string(*t.from)) + " -> " +
                                        std::string(db::to_string(t.to))
                                  : "issued";
      out << "  " << format_local(t.at, zone) << "  " << change << "  by " << t.operator_name
          << "  \"" << t.reason << "\"\n";
    }
    return 0;
  }
  if (sub == "list" && p.positional.empty()) {
    db::BadgeFilter filter;
    filter.person_external_id = option(p, "person").value_or("");
    if (auto s = option(p, "state")) {
      filter.state = db::parse_badge_state(*s);
      if (!filter.state) {
        err << "unknown state '" << *s << "' (issued, active, suspended, revoked)\n";
        return 2;
      }
    }
    if (flag(p, "visitor-passes")) filter.visitor_pass = true;
    DbSession db;
    if (!open_database(p, db, err)) return 1;
    int shown = 0;
    while (true) {
      auto page = db::list_badges(*db.conn, filter);
      if (!page.ok()) return fail(err, page.error());
      for (const auto& b : *page) print_badge_line(b, out);
      shown += static_cast<int>(page->size());
      if (static_cast<int>(page->size()) < filter.limit) break;
      filter.after_id = page->back().id;
    }
    out << shown << (shown == 1 ? " badge\n" : " badges\n");
    return 0;
  }
  if (sub == "sweep" && p.positional.empty()) {
    DbSession db;
    if (!open_database(p, db, err)) return 1;
    auto days = db.conn->exec("SELECT suspend_unused_badges_after_days FROM site");
    if (!days.ok()) return fail(err, days.error());
    int limit = days->size() == 1 ? static_cast<int>(days->int64(0, 0)) : 0;
    if (limit <= 0) {
      out << "automatic suspension is off (site: suspend_unused_badges_after_days)\n";
      return 0;
    }
    auto suspended = db::suspend_unused(*db.conn, limit, SystemClock::instance().wall(),
                                        operator_name(p));
    if (!suspended.ok()) return fail(err, suspended.error());
    out << suspended->size() << " badges unused for more than " << limit << " days suspended\n";
    return 0;
  }
  err << "usage:" << kAccessUsage;
  return 2;
}

// ---------------------------------------------------------------- visitors

int visitor_command(const std::vector<std::string>& args, std::ostream& out, std::ostream& err) {
  const std::string sub = args.size() > 2 ? args[2] : "";
  Parsed p = parse_args(args, 3, with_common({"name", "host", "ref", "from", "until", "card", "raw"}),
                        {"on-site", "today", "all"});
  if (!p.error.empty()) {
    err << p.error << "\n";
    return 2;
  }
  const WallTime now = SystemClock::instance().wall();
  if (sub == "register" && p.positional.empty()) {
    auto name = option(p, "name");
    auto host = option(p, "host");
    if (!name || !host) {
      err << "visitor register needs --name NAME and --host EMPLOYEE_ID\n";
      return 2;
    }
    DbSession db;
    if (!open_database(p, db, err)) return 1;
    const std::string zone = site_zone(*db.conn);
    WallTime from = now;
    if (auto t = option(p, "from")) {
      auto parsed = parse_time_arg(*t, zone);
      if (!parsed.ok()) return fail(err, parsed.error());
      from = *parsed;
    }
    Result<WallTime> until = option(p, "until") ? parse_time_arg(*option(p, "until"), zone)
                                                : end_of_local_day(from, zone);
    if (!until.ok()) return fail(err, until.error());
    auto visit = db::register_visit(*db.conn, *name, option(p, "ref").value_or(""), *host, from,
                                    *until, operator_name(p));
    if (!visit.ok()) return fail(err, visit.error());
    out << "visit " << visit->visit_id << ": " << *name << " (" << visit->visitor_ref
        << ") visiting " << *host << ", " << format_local(from, zone) << " .. "
        << format_local(*until, zone) << "\n";
    return 0;
  }
  if ((sub == "check-in" || sub == "check-out") && p.positional.size() == 1) {
    auto id = parse_id(p.positional[0]);
    if (!id) {
      err << "'" << p.positional[0] << "' is not a visit number\n";
      return 2;
    }
    if (sub == "check-out") {
      DbSession db;
      if (!open_database(p, db, err)) return 1;
      if (Status s = db::check_out(*db.conn, *id, operator_name(p), now); !s.ok()) {
        return fail(err, s.error());
      }
      out << "visit " << *id << " checked out; the pass is revoked\n";
      return 0;
    }
    auto card = parse_card_arg(p);
    if (!card.ok()) return fail(err, card.error());
    DbSession db;
    if (!open_database(p, db, err)) return 1;
    auto badge = db::check_in(*db.conn, *id, card->credential, card->format, card->facility,
                              card->number, operator_name(p), now);
    if (!badge.ok()) return fail(err, badge.error());
    out << "visit " << *id << " checked in; pass badge " << *badge << " (credential "
        << card->credential << ") active until the visit ends\n";
    return 0;
  }
  if (sub == "list" && p.positional.empty()) {
    db::VisitFilter filter = flag(p, "all")     ? db::VisitFilter::kAll
                             : flag(p, "today") ? db::VisitFilter::kToday
                                                : db::VisitFilter::kOnSiteNow;
    DbSession db;
    if (!open_database(p, db, err)) return 1;
    const std::string zone = site_zone(*db.conn);
    auto visits = db::list_visits(*db.conn, filter, now);
    if (!visits.ok()) return fail(err, visits.error());
    for (const auto& v : *visits) {
      out << "visit " << v.id << "  " << v.visitor_name << " (" << v.visitor_ref << ")  host "
          << v.host_external_id << " " << v.host_name << "  "
          << format_local(v.window_start, zone) << " .. " << format_local(v.window_end, zone);
      if (v.checked_out_at) {
        out << "  left " << format_local(*v.checked_out_at, zone);
      } else if (v.checked_in_at) {
        out << "  ON SITE since " << format_local(*v.checked_in_at, zone);
      } else {
        out << "  expected";
      }
      out << "\n";
    }
    out << visits->size() << (filter == db::VisitFilter::kOnSiteNow ? " visitors on site now\n"
                                                                     : " visits\n");
    return 0;
  }
  err << "usage:" << kAccessUsage;
  return 2;
}

// ---------------------------------------------------------------- lockdown

int lockdown_command(const std::vector<std::string>& args, std::ostream& out, std::ostream& err) {
  const std::string sub = args.size() > 2 ? args[2] : "";
  Parsed p = parse_args(args, 3, with_common({"allow"}));
  if (!p.error.empty() || !p.positional.empty() || (sub != "start" && sub != "lift")) {
    err << (p.error.empty() ? "usage:" + std::string(kAccessUsage) : p.error + "\n");
    return 2;
  }
  DbSession db;
  if (!open_database(p, db, err)) return 1;
  auto row = sub == "start" ? db::start_lockdown(*db.conn, option(p, "allow").value_or(""),
                                                 operator_name(p))
                            : db::lift_lockdown(*db.conn, operator_name(p));
  if (!row.ok()) return fail(err, row.error());
  if (row->active) {
    out << "LOCKDOWN in force by " << row->operator_name << ": "
        << (row->allowed_group.empty() ? "nobody passes" : "only group '" + row->allowed_group + "' passes")
        << "\n";
  } else {
    out << "lockdown lifted by " << row->operator_name << "\n";
  }
  return 0;
}

}  // namespace

std::optional<int> run_access_command(const std::vector<std::string>& args, std::ostream& out,
                                      std::ostream& err) {
  if (args.size() < 2) return std::nullopt;
  const std::string& command = args[1];
  if (command == "people") return people_command(args, out, err);
  if (command == "badge") return badge_command(args, out, err);
  if (command == "visitor") return visitor_command(args, out, err);
  if (command == "lockdown") return lockdown_command(args, out, err);
  return std::nullopt;
}

}  // namespace gatehouse::controller
