#include "firmware-bridge/simulate.h"

#include <poll.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <csignal>
#include <cmath>
#include <cstdlib>
#include <fstream>
#include <iostream>
#include <sstream>

#include "base/log.h"
#include "firmware-bridge/sim_http.h"
#include "firmware-bridge/sim_simulator.h"
#include "site/parser.h"

namespace gatehouse::bridge {
namespace {

constexpr const char* kUsage = R"(usage: gatehouse-bridge simulate SITEFILE [options]

Virtual OSDP readers and Modbus TCP door modules for every tcp:// endpoint of
the site file, with door physics (docs/simulator.md). Commands on stdin, one
per line:
  present READER CARD [PIN]   CARD: H10301:42:1001 or bits 0101...
  exit DOOR | force DOOR | hold DOOR SECONDS
  tamper READER on|off | unplug DEVICE | replug DEVICE | status | quit

Options:
  --control HOST:PORT     also take commands as POST /command on this HTTP port
  --scenario FILE         lines "AT_SECONDS COMMAND...", run relative to start
  --exit-after-scenario   quit after the scenario's last line
  --traffic CARDS         comma-separated cards presented at random readers
  --every SECONDS         how often --traffic presents one (default 5)
  --seed N                random seed (readers' RND.B, traffic), default 1
  --tick-ms N             physics tick, 20..50 ms (default 20)
)";

std::atomic<bool> g_signalled{false};
void on_signal(int) { g_signalled = true; }

int usage_error(const std::string& message) {
  std::cerr << "gatehouse-bridge simulate: " << message << "\n\n" << kUsage;
  return 2;
}

std::vector<std::string> split_commas(const std::string& s) {
  std::vector<std::string> out;
  std::stringstream in(s);
  std::string item;
  while (std::getline(in, item, ',')) {
    if (!item.empty()) out.push_back(item);
  }
  return out;
}

}  // namespace

int run_simulate(const std::vector<std::string>& args) {
  std::string site_path, control, scenario_path, traffic;
  double every_s = 5;
  bool exit_after = false;
  SimOptions options;
  for (std::size_t i = 2; i < args.size(); ++i) {
    const std::string& a = args[i];
    auto value = [&](std::string& out) {
      if (i + 1 >= args.size()) return false;
      out = args[++i];
      return true;
    };
    std::string v;
    if (a == "--help" || a == "-h") {
      std::cout << kUsage;
      return 0;
    } else if (a == "--control") {
      if (!value(control)) return usage_error("--control needs HOST:PORT");
    } else if (a == "--scenario") {
      if (!value(scenario_path)) return usage_error("--scenario needs a file");
    } else if (a == "--exit-after-scenario") {
      exit_after = true;
    } else if (a == "--traffic") {
      if (!value(traffic)) return usage_error("--traffic needs a list of cards");
    } else if (a == "--every") {
      char* end = nullptr;
      if (!value(v) || (every_s = std::strtod(v.c_str(), &end), *end != '\0') || !std::isfinite(every_s) ||
          every_s < 0.1) {
        return usage_error("--every needs a number of seconds (at least 0.1)");
      }
    } else if (a == "--seed") {
      if (!value(v)) return usage_error("--seed needs a number");
      options.seed = std::strtoull(v.c_str(), nullptr, 10);
    } else if (a == "--tick-ms") {
      if (!value(v)) return usage_error("--tick-ms needs a number");
      const long ms = std::strtol(v.c_str(), nullptr, 10);
      if (ms < 20 || ms > 50) return usage_error("--tick-ms must be 20..50");
      options.tick_us = ms * 1000;
    } else if (!a.empty() && a[0] == '-') {
      return usage_error("unknown option " + a);
    } else if (site_path.empty()) {
      site_path = a;
    } else {
      return usage_error("one site file only");
    }
  }
  if (site_path.empty()) return usage_error("missing SITEFILE");
  if (exit_after && scenario_path.empty()) return usage_error("--exit-after-scenario needs --scenario");

  site::ParseOutcome parsed = site::parse_site_file(site_path);
  if (!parsed.site) {
    for (const site::Problem& p : parsed.problems) std::cerr << site::format_problem(p, site_path) << "\n";
    return 1;
  }
  std::vector<ScenarioStep> steps;
  if (!scenario_path.empty()) {
    std::ifstream in(scenario_path);
    if (!in) {
      std::cerr << "gatehouse-bridge simulate: cannot read " << scenario_path << "\n";
      return 1;
    }
    std::stringstream text;
    text << in.rdbuf();
    Result<std::vector<ScenarioStep>> r = parse_scenario(text.str());
    if (!r.ok()) {
      std::cerr << scenario_path << ": " << r.error().message << "\n";
      return 1;
    }
    steps = std::move(r.value());
  }

  Result<std::unique_ptr<Simulator>> created = Simulator::create(*parsed.site, options);
  if (!created.ok()) {
    std::cerr << "gatehouse-bridge simulate: " << created.error().message << "\n";
    return 1;
  }
  Simulator& sim = **created;
  if (!traffic.empty()) {
    Status st = sim.set_traffic(split_commas(traffic), static_cast<std::int64_t>(std::llround(every_s * 1e6)));
    if (!st.ok()) {
      std::cerr << "gatehouse-bridge simulate: " << st.error().message << "\n";
      return 2;
    }
  }
  std::unique_ptr<ControlServer> server;
  if (!control.empty()) {
    Result<std::unique_ptr<ControlServer>> s =
        ControlServer::start(control, [&sim](std::string_view line) { return sim.command(line, "http"); });
    if (!s.ok()) {
      std::cerr << "gatehouse-bridge simulate: " << s.error().message << "\n";
      return 1;
    }
    server = std::move(s.value());
    log(LogLevel::kInfo, "sim", "control port listening", {{"port", std::to_string(server->port())}});
  }

  std::signal(SIGINT, on_signal);
  std::signal(SIGTERM, on_signal);
  sim.start();
  if (!scenario_path.empty()) sim.set_scenario(std::move(steps), exit_after);
  log(LogLevel::kInfo, "sim", "simulator running", {{"site", site_path}});

  bool stdin_open = true;
  std::string pending;
  while (!g_signalled.load() && !sim.quit_requested()) {
    if (!stdin_open) {
      (void)sim.wait_quit(std::chrono::milliseconds(200));
      continue;
    }
    pollfd p{STDIN_FILENO, POLLIN, 0};
    const int rc = ::poll(&p, 1, 200);
    if (rc <= 0) continue;
    char buf[1024];
    const ssize_t n = ::read(STDIN_FILENO, buf, sizeof buf);
    if (n <= 0) {
      if (n < 0 && errno == EINTR) continue;
      stdin_open = false;  // keep running: the scenario, traffic and control port go on
      continue;
    }
    pending.append(buf, static_cast<std::size_t>(n));
    std::size_t nl = 0;
    while ((nl = pending.find('\n')) != std::string::npos) {
      const std::string line = pending.substr(0, nl);
      pending.erase(0, nl + 1);
      if (split_words(line).empty()) continue;
      const CommandResult r = sim.command(line, "stdin");
      std::cout << r.text << std::endl;
    }
  }
  server.reset();
  sim.stop();
  log(LogLevel::kInfo, "sim", "simulator stopped");
  return 0;
}

}  // namespace gatehouse::bridge
