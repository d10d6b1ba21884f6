// ./bench.sh propagation: how long a change written by one process takes to
// reach a running controller's decisions. The issue's figure: a revocation
// made anywhere is denied by every controller within 1 s.
//
// One real PostgreSQL (a throwaway cluster), one real `gatehouse serve` with
// simulated readers. For each sample: issue and activate a badge, wait until the
// controller grants it, then revoke it from this process (a second writer) and
// present the card in a tight loop until the controller answers badge_revoked.
// A sample runs from the revocation's COMMIT returning to the first denying
// answer, so it includes NOTIFY delivery, the worker's reload of the badge, the
// hand-over to the reactor, and one HTTP round trip of polling granularity.
//
// Output: '#' lines describe the run; metric=value lines last, the headline
// revocation_to_denial_p99_ms last of all.
#include <signal.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <nlohmann/json.hpp>
#include <thread>
#include <vector>

#include "child_process.h"
#include "db/badge_lifecycle.h"
#include "db/badge_store.h"
#include "db/migrate.h"
#include "db/people_store.h"
#include "db/site_store.h"
#include "readers/wiegand.h"
#include "site/parser.h"
#include "tests/support/pg_test_cluster.h"

namespace {

using namespace gatehouse;
using namespace std::chrono_literals;
using Steady = std::chrono::steady_clock;

constexpr int kSamples = 200;

int fail(const std::string& what) {
  std::fprintf(stderr, "bench_propagation: %s\n", what.c_str());
  return 1;
}

std::string reason_at(int port, const std::string& card) {
  auto r = testing::http_post("127.0.0.1", port, "/api/v1/readers/r-office-in/present",
                              nlohmann::json{{"card", card}}.dump());
  if (r.status != 200) return "http " + std::to_string(r.status);
  return nlohmann::json::parse(r.body).value("reason", "?");
}

double percentile(std::vector<double> v, double p) {
  std::sort(v.begin(), v.end());
  std::size_t i = static_cast<std::size_t>(p * static_cast<double>(v.size() - 1) + 0.5);
  return v[std::min(i, v.size() - 1)];
}

}  // namespace

int main() {
  const std::string conninfo = test_support::fresh_database();
  auto conn = db::Connection::open(conninfo);
  if (!conn.ok()) return fail(conn.error().message);
  if (auto v = db::migrate(*conn); !v.ok()) return fail(v.error().message);
  auto site = site::parse_site_file(std::string(GATEHOUSE_SOURCE_DIR) + "/docs/examples/site.toml");
  if (!site.site) return fail("example site does not parse");
  if (auto r = db::apply_site(*conn, *site.site, "bench", std::string(64, 'a')); !r.ok()) {
    return fail(r.error().message);
  }
  db::PersonImportRow it{1, "IT1", "Ida Tech", "employee", "active", "", {"it", "staff"}};
  if (auto r = db::import_people(*conn, {it}, "bench"); !r.ok()) return fail(r.error().message);

  auto var = test_support::make_temp_dir("gh-bench-propagation");
  testing::ChildProcess serve({std::string(GATEHOUSE_BIN_DIR) + "/gatehouse", "serve", "--listen",
                               "127.0.0.1:0", "--simulated-readers", "--var", var.string()},
                              {{"GATEHOUSE_DB", conninfo}, {"GATEHOUSE_LOG", "warn"}});
  if (!serve.wait_for_output("msg=listening", 60s)) return fail("controller did not start");
  const int port = testing::listening_port(serve.output());

  std::vector<double> samples_ms;
  std::int64_t polls = 0;
  for (int i = 0; i < kSamples; ++i) {
    const std::uint64_t number = 10'000 + static_cast<std::uint64_t>(i);
    const std::string card = "H10301:77:" + std::to_string(number);
    auto key = readers::credential_key(readers::CardFormat::kH10301, 77, number);
    auto badge = db::issue_badge(*conn, "IT1", readers::to_string(*key), "H10301", 77,
                                 static_cast<std::int64_t>(number), std::nullopt, std::nullopt,
                                 "bench", "bench");
    if (!badge.ok()) return fail(badge.error().message);
    auto now = SystemClock::instance().wall();
    if (auto s = db::transition_badge(*conn, *badge, db::BadgeAction::kActivate, "bench", "bench", now);
        !s.ok()) {
      return fail(s.error().message);
    }
    // Wait until the controller knows the badge (and the office door is open to IT).
    auto until = Steady::now() + 10s;
    std::string r;
    while ((r = reason_at(port, card)) != "granted" && r != "granted_passback_logged") {
      if (Steady::now() > until) return fail("badge never granted: " + r);
    }

    auto revoked = db::transition_badge(*conn, *badge, db::BadgeAction::kRevoke, "bench", "bench",
                                        SystemClock::instance().wall());
    const auto t0 = Steady::now();
    if (!revoked.ok()) return fail(revoked.error().message);
    until = t0 + 10s;
    while (reason_at(port, card) != "badge_revoked") {
      ++polls;
      if (Steady::now() > until) return fail("revocation never reached the controller");
    }
    samples_ms.push_back(std::chrono::duration<double, std::milli>(Steady::now() - t0).count());
  }
  serve.signal(SIGTERM);
  serve.wait_exit(30s);
  std::filesystem::remove_all(var);

  std::printf("# %d revocations, each from COMMIT returning to the first badge_revoked answer of a\n"
              "# controller polled over loopback HTTP (%.1f polls per sample on average)\n",
              kSamples, static_cast<double>(polls) / kSamples);
  std::printf("samples=%d\n", kSamples);
  std::printf("revocation_to_denial_p50_ms=%.3f\n", percentile(samples_ms, 0.50));
  std::printf("revocation_to_denial_max_ms=%.3f\n", percentile(samples_ms, 1.0));
  std::printf("revocation_to_denial_p99_ms=%.3f\n", percentile(samples_ms, 0.99));
  return 0;
}
