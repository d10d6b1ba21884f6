#include "controller/commands.h"

#include <pwd.h>
#include <sodium.h>
#include <unistd.h>

#include <algorithm>
#include <cstdlib>
#include <fstream>
#include <map>
#include <optional>
#include <sstream>

#include "base/hex.h"
#include "controller/cli_access.h"
#include "controller/cli_doors.h"
#include "controller/cli_common.h"
#include "controller/database.h"
#include "controller/serve.h"
#include "db/migrate.h"
#include "db/site_store.h"
#include "site/parser.h"

namespace gatehouse::controller {
namespace {

constexpr const char* kUsage = R"(usage: gatehouse COMMAND [OPTIONS]

Commands:
  serve [--listen HOST:PORT] [--var DIR] [--simulated-readers]
                          run the controller (default 127.0.0.1:8080); with
                          --simulated-readers, badge reads are also accepted over
                          HTTP (demo and tests only)
  site check FILE         validate a site file and list every problem
  site apply FILE [--operator NAME] [--var DIR]
                          apply a site file to the database in one transaction
  db migrate [--var DIR]  apply pending schema migrations
  db status [--var DIR]   show the schema version
  version                 print the version

Database: GATEHOUSE_DB (a libpq connection string) when set; otherwise the
embedded cluster under DIR/pg (DIR: --var, GATEHOUSE_VAR, or ./var).
)";

std::string sha256_hex(const std::string& data) {
  unsigned char digest[crypto_hash_sha256_BYTES];
  crypto_hash_sha256(digest, reinterpret_cast<const unsigned char*>(data.data()), data.size());
  return to_hex(digest);
}

std::optional<std::string> read_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return std::nullopt;
  std::ostringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

// Parses and validates; prints every problem. Returns the site when valid.
std::optional<site::Site> load_site_file(const std::string& path, const std::string& text,
                                         std::ostream& err) {
  auto outcome = site::parse_site_text(text, path);
  for (const auto& problem : outcome.problems) err << site::format_problem(problem, path) << "\n";
  if (!outcome.problems.empty()) {
    err << path << ": " << outcome.problems.size()
        << (outcome.problems.size() == 1 ? " problem" : " problems") << "; nothing applied\n";
    return std::nullopt;
  }
  return outcome.site;
}

int site_check(const Parsed& p, std::ostream& out, std::ostream& err) {
  if (p.positional.size() != 1) {
    err << "usage: gatehouse site check FILE\n";
    return 2;
  }
  const std::string& path = p.positional[0];
  auto text = read_file(path);
  if (!text) {
    err << path << ": cannot read file\n";
    return 1;
  }
  auto outcome = site::parse_site_text(*text, path);
  for (const auto& problem : outcome.problems) err << site::format_problem(problem, path) << "\n";
  if (!outcome.problems.empty()) {
    err << path << ": " << outcome.problems.size()
        << (outcome.problems.size() == 1 ? " problem\n" : " problems\n");
    return 1;
  }
  const site::Site& s = *outcome.site;
  out << path << ": ok: site '" << s.name << "' (" << s.timezone << "), " << s.doors.size()
      << " doors, " << s.readers.size() << " readers, " << s.io_modules.size() << " I/O modules, "
      << s.cameras.size() << " cameras, " << s.areas.size() << " areas, " << s.groups.size()
      << " groups, " << s.access_levels.size() << " access levels, " << s.schedules.size()
      << " schedules\n";
  return 0;
}

int site_apply(const Parsed& p, std::ostream& out, std::ostream& err) {
  if (p.positional.size() != 1) {
    err << "usage: gatehouse site apply FILE [--operator NAME] [--var DIR]\n";
    return 2;
  }
  const std::string& path = p.positional[0];
  auto text = read_file(path);
  if (!text) {
    err << path << ": cannot read file; nothing applied\n";
    return 1;
  }
  auto parsed = load_site_file(path, *text, err);
  if (!parsed) return 1;

  DbSession session;
  if (!open_database(p, session, err)) return 1;
  const std::string who = operator_name(p);
  auto report = db::apply_site(*session.conn, *parsed, who, sha256_hex(*text));
  if (!report.ok()) {
    err << path << ": not applied: " << report.error().message << "\n";
    return 1;
  }
  if (!report->changed()) {
    out << path << ": no changes (the database already matches this file)\n";
  } else {
    out << path << ": applied as revision " << report->revision << " by " << who
        << ": " << report->inserted << " inserted, " << report->updated << " updated, "
        << report->deleted << " deleted\n";
  }
  return 0;
}

int db_command(const std::string& sub, const Parsed& p, std::ostream& out, std::ostream& err) {
  if (!p.positional.empty()) {
    err << "usage: gatehouse db " << sub << " [--var DIR]\n";
    return 2;
  }
  if (sub == "migrate") {
    DbSession session;
    if (!open_database(p, session, err)) return 1;
    auto version = db::schema_version(*session.conn);
    if (!version.ok()) {
      err << "database: " << version.error().message << "\n";
      return 1;
    }
    out << "schema version " << *version << " (latest " << db::latest_schema_version() << ")\n";
    return 0;
  }
  auto resolved = DatabaseLocation::resolve(resolve_var_dir(option(p, "var")));
  if (!resolved.ok()) {
    err << "database: " << resolved.error().message << "\n";
    return 1;
  }
  auto conn = db::Connection::open(resolved->conninfo());
  if (!conn.ok()) {
    err << "database: " << conn.error().message << "\n";
    return 1;
  }
  auto version = db::schema_version(*conn);
  if (!version.ok()) {
    err << "database: " << version.error().message << "\n";
    return 1;
  }
  out << "schema version " << *version << " (this gatehouse knows up to "
      << db::latest_schema_version() << ")\n";
  return 0;
}

}  // namespace

int run_command_line(const std::vector<std::string>& args, std::ostream& out, std::ostream& err) {
  if (args.size() < 2 || args[1] == "help" || args[1] == "--help" || args[1] == "-h") {
    (args.size() < 2 ? err : out) << kUsage << kAccessUsage << kDoorUsage;
    return args.size() < 2 ? 2 : 0;
  }
  const std::string& command = args[1];
  if (command == "version" || command == "--version") {
    out << "gatehouse " << GATEHOUSE_VERSION << "\n";
    return 0;
  }
  if (command == "serve") {
    Parsed p = parse_args(args, 2, {"listen", "var"}, {"simulated-readers"});
    if (!p.error.empty() || !p.positional.empty()) {
      err << (p.error.empty() ? "serve takes no positional arguments" : p.error) << "\n" << kUsage;
      return 2;
    }
    ServeOptions options;
    if (auto listen = option(p, "listen")) options.listen = *listen;
    options.var_dir = option(p, "var");
    options.simulated_readers = flag(p, "simulated-readers");
    return run_serve(options);
  }
  if (auto code = run_access_command(args, out, err)) return *code;
  if (auto code = run_door_command(args, out, err)) return *code;
  if ((command == "site" || command == "db") && args.size() >= 3) {
    const std::string& sub = args[2];
    Parsed p = parse_args(args, 3, {"operator", "var"});
    if (!p.error.empty()) {
      err << p.error << "\n";
      return 2;
    }
    if (command == "site" && sub == "check") return site_check(p, out, err);
    if (command == "site" && sub == "apply") return site_apply(p, out, err);
    if (command == "db" && (sub == "migrate" || sub == "status")) return db_command(sub, p, out, err);
  }
  err << "unknown command: ";
  for (std::size_t i = 1; i < args.size() && i < 3; ++i) err << args[i] << " ";
  err << "\n" << kUsage;
  return 2;
}

}  // namespace gatehouse::controller
