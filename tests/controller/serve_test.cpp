// The real `gatehouse` binary against a real PostgreSQL: serve, site apply,
// a database that is down at start, a schema newer than the binary, and the
// embedded cluster it runs when no database is configured.
#include <gtest/gtest.h>
#include <signal.h>

#include <filesystem>
#include <fstream>
#include <thread>
#include <nlohmann/json.hpp>

#include "child_process.h"
#include "db/cluster.h"
#include "db/migrate.h"
#include "db/pg.h"
#include "tests/support/pg_test_cluster.h"

namespace gatehouse {
namespace {

using namespace std::chrono_literals;
using nlohmann::json;
using testing::ChildProcess;
using testing::http_get;

const std::string kGatehouse = std::string(GATEHOUSE_BIN_DIR) + "/gatehouse";
const std::string kExampleSite = std::string(GATEHOUSE_SOURCE_DIR) + "/docs/examples/site.toml";

using Env = std::map<std::string, std::optional<std::string>>;

// Runs a gatehouse command to completion; returns {exit code, output}.
std::pair<int, std::string> run(const std::vector<std::string>& args, const Env& env) {
  std::vector<std::string> argv{kGatehouse};
  argv.insert(argv.end(), args.begin(), args.end());
  ChildProcess child(argv, env);
  auto code = child.wait_exit(120s);
  return {code.value_or(-999), child.output()};
}

// Polls /healthz until it answers `status`; returns the last body. Bounded.
json wait_for_health(int port, int status, std::chrono::seconds limit) {
  auto deadline = std::chrono::steady_clock::now() + limit;
  testing::HttpResult r;
  while (std::chrono::steady_clock::now() < deadline) {
    r = http_get("127.0.0.1", port, "/healthz");
    if (r.status == status) return json::parse(r.body);
    std::this_thread::sleep_for(100ms);
  }
  return json{{"timed_out_with_status", r.status}, {"body", r.body}};
}

int start_and_get_port(ChildProcess& serve) {
  EXPECT_TRUE(serve.wait_for_output("msg=listening", 60s)) << serve.output();
  return testing::listening_port(serve.output());
}

TEST(Serve, HealthyOnAnExternalDatabaseAndStopsCleanlyOnSigterm) {
  std::string conninfo = test_support::fresh_database();
  Env env{{"GATEHOUSE_DB", conninfo}};
  auto [applied, out] = run({"site", "apply", kExampleSite, "--operator", "alice"}, env);
  ASSERT_EQ(applied, 0) << out;
  EXPECT_NE(out.find("applied as revision 1 by alice"), std::string::npos) << out;

  auto var = test_support::make_temp_dir("gh-serve");
  ChildProcess serve({kGatehouse, "serve", "--listen", "127.0.0.1:0", "--var", var.string()}, env);
  int port = start_and_get_port(serve);
  ASSERT_GT(port, 0);
  json health = wait_for_health(port, 200, 60s);
  EXPECT_EQ(health["status"], "ok") << health.dump();
  EXPECT_EQ(health["database"]["reachable"], true);
  EXPECT_EQ(health["database"]["embedded"], false);
  EXPECT_EQ(health["database"]["schema_version"], db::latest_schema_version());
  EXPECT_GT(health["uptime_s"].get<double>(), 0.0);

  // The site loads shortly after the database connects.
  auto deadline = std::chrono::steady_clock::now() + 30s;
  while (!health["site"]["loaded"].get<bool>() && std::chrono::steady_clock::now() < deadline) {
    std::this_thread::sleep_for(100ms);
    health = json::parse(http_get("127.0.0.1", port, "/healthz").body);
  }
  EXPECT_EQ(health["site"]["name"], "Newcastle office");
  EXPECT_EQ(health["site"]["doors"], 3);

  auto metrics = http_get("127.0.0.1", port, "/metrics");
  EXPECT_EQ(metrics.status, 200);
  EXPECT_NE(metrics.body.find("gatehouse_database_up 1\n"), std::string::npos);
  EXPECT_NE(metrics.body.find("gatehouse_site_entities{kind=\"doors\"} 3\n"), std::string::npos);

  // Structured log lines: time, level, component, message.
  EXPECT_NE(serve.output().find("level=info component=db msg=\"database connected\""),
            std::string::npos)
      << serve.output();

  serve.signal(SIGTERM);
  auto code = serve.wait_exit(30s);
  ASSERT_TRUE(code.has_value()) << "serve did not exit after SIGTERM";
  EXPECT_EQ(*code, 0);
  EXPECT_NE(serve.output().find("msg=stopping signal=SIGTERM"), std::string::npos);
  EXPECT_NE(serve.output().find("msg=stopped exit_code=0"), std::string::npos);
  std::filesystem::remove_all(var);
}

TEST(SiteApply, SecondApplyChangesNothingAndABadFileChangesNothing) {
  std::string conninfo = test_support::fresh_database();
  Env env{{"GATEHOUSE_DB", conninfo}};
  ASSERT_EQ(run({"site", "apply", kExampleSite}, env).first, 0);
  auto [again, out] = run({"site", "apply", kExampleSite}, env);
  EXPECT_EQ(again, 0);
  EXPECT_NE(out.find("no changes"), std::string::npos) << out;

  auto dir = test_support::make_temp_dir("gh-bad-site");
  std::string bad = (dir / "bad.toml").string();
  {
    std::ofstream f(bad);
    f << "[site]\nname = \"x\"\ntimezone = \"Europe/London\"\n\n[[door]]\nid = \"d1\"\nreader = \"ghost\"\n";
  }
  auto [refused, why] = run({"site", "apply", bad}, env);
  EXPECT_EQ(refused, 1);
  EXPECT_NE(why.find("nothing applied"), std::string::npos) << why;
  EXPECT_NE(why.find("bad.toml:7: door.d1.reader"), std::string::npos) << why;

  auto conn = db::Connection::open(conninfo);
  ASSERT_TRUE(conn.ok());
  auto revisions = conn->exec("SELECT count(*) FROM site_revisions");
  ASSERT_TRUE(revisions.ok());
  EXPECT_EQ(revisions->int64(0, 0), 1);
  auto doors = conn->exec("SELECT count(*) FROM doors");
  ASSERT_TRUE(doors.ok());
  EXPECT_EQ(doors->int64(0, 0), 3);
  std::filesystem::remove_all(dir);
}

TEST(SiteCheck, ExampleIsValidAndProblemsCarryLineAndKey) {
  auto [ok, out] = run({"site", "check", kExampleSite}, {});
  EXPECT_EQ(ok, 0) << out;
  EXPECT_NE(out.find("ok: site 'Newcastle office' (Europe/London), 3 doors"), std::string::npos);

  auto dir = test_support::make_temp_dir("gh-check");
  std::string bad = (dir / "bad.toml").string();
  {
    std::ofstream f(bad);
    f << "[site]\nname = \"x\"\ntimezone = \"Europe/London\"\n\n[[schedule]]\nid = \"s\"\n"
         "weekly = { mon = [\"09:00-25:00\"] }\n";
  }
  auto [code, why] = run({"site", "check", bad}, {});
  EXPECT_EQ(code, 1);
  EXPECT_NE(why.find("bad.toml:7: schedule.s.weekly.mon"), std::string::npos) << why;
  EXPECT_NE(why.find("1 problem"), std::string::npos) << why;
  std::filesystem::remove_all(dir);
}

TEST(Serve, DatabaseDownAtStartIsRetriedUntilItComesUp) {
  auto var = test_support::make_temp_dir("gh-down");
  db::ClusterOptions options;
  options.var_dir = var;
  auto cluster = db::EmbeddedCluster::ensure_started(options);
  ASSERT_TRUE(cluster.ok()) << cluster.error().message;
  ASSERT_TRUE(cluster->stop(/*force=*/true).ok());

  ChildProcess serve({kGatehouse, "serve", "--listen", "127.0.0.1:0", "--var", (var / "controller").string()},
                     {{"GATEHOUSE_DB", cluster->conninfo()}});
  int port = start_and_get_port(serve);
  ASSERT_TRUE(serve.wait_for_output("msg=\"database unreachable; retrying\"", 30s))
      << serve.output();
  json down = wait_for_health(port, 503, 10s);
  EXPECT_EQ(down["database"]["reachable"], false) << down.dump();
  EXPECT_FALSE(down["database"]["error"].get<std::string>().empty());
  EXPECT_TRUE(serve.running());

  auto again = db::EmbeddedCluster::ensure_started(options);
  ASSERT_TRUE(again.ok()) << again.error().message;
  json up = wait_for_health(port, 200, 60s);
  EXPECT_EQ(up["status"], "ok") << up.dump();

  serve.signal(SIGINT);
  EXPECT_EQ(serve.wait_exit(30s), std::optional<int>(0));
  EXPECT_TRUE(again->stop(true).ok());
  std::filesystem::remove_all(var);
}

TEST(Serve, RefusesADatabaseNewerThanTheBinary) {
  std::string conninfo = test_support::fresh_database();
  {
    auto conn = db::Connection::open(conninfo);
    ASSERT_TRUE(conn.ok());
    ASSERT_TRUE(db::migrate(*conn).ok());
    ASSERT_TRUE(conn->exec("INSERT INTO schema_migrations (version, name) VALUES ($1, 'future')",
                           {std::to_string(db::latest_schema_version() + 1)})
                    .ok());
  }
  auto var = test_support::make_temp_dir("gh-newer");
  ChildProcess serve({kGatehouse, "serve", "--listen", "127.0.0.1:0", "--var", var.string()},
                     {{"GATEHOUSE_DB", conninfo}});
  auto code = serve.wait_exit(60s);
  std::filesystem::remove_all(var);
  ASSERT_TRUE(code.has_value()) << serve.output();
  EXPECT_EQ(*code, 1);
  EXPECT_NE(serve.output().find("is newer than this gatehouse"), std::string::npos)
      << serve.output();
}

TEST(Serve, EmbeddedClusterStartsStopsAndIsReused) {
  auto var = test_support::make_temp_dir("gh-embedded");
  Env env{{"GATEHOUSE_DB", std::nullopt}};

  // site apply with no GATEHOUSE_DB creates the cluster, applies, and stops it again.
  auto [applied, out] = run({"site", "apply", kExampleSite, "--var", var.string()}, env);
  ASSERT_EQ(applied, 0) << out;
  EXPECT_TRUE(std::filesystem::exists(var / "pg" / "PG_VERSION"));
  EXPECT_FALSE(std::filesystem::exists(var / "pg" / "postmaster.pid")) << out;

  {
    ChildProcess serve({kGatehouse, "serve", "--listen", "127.0.0.1:0", "--var", var.string()},
                       env);
    int port = start_and_get_port(serve);
    json health = wait_for_health(port, 200, 60s);
    EXPECT_EQ(health["database"]["embedded"], true) << health.dump();
    EXPECT_NE(serve.output().find("msg=\"embedded cluster started\""), std::string::npos);
    // The site applied earlier is still there: the second start reused the data.
    auto deadline = std::chrono::steady_clock::now() + 30s;
    while (!health["site"]["loaded"].get<bool>() && std::chrono::steady_clock::now() < deadline) {
      std::this_thread::sleep_for(100ms);
      health = json::parse(http_get("127.0.0.1", port, "/healthz").body);
    }
    EXPECT_EQ(health["site"]["doors"], 3);
    // No TCP port: the cluster listens only on its socket under var/run.
    auto conn = db::Connection::open("host=" + (var / "run").string() + " dbname=gatehouse user=gatehouse");
    ASSERT_TRUE(conn.ok()) << conn.error().message;
    auto listen = conn->exec("SHOW listen_addresses");
    ASSERT_TRUE(listen.ok());
    EXPECT_EQ(listen->text(0, 0), "");

    serve.signal(SIGINT);
    EXPECT_EQ(serve.wait_exit(30s), std::optional<int>(0));
    EXPECT_NE(serve.output().find("msg=\"embedded cluster stopped\""), std::string::npos);
  }
  EXPECT_FALSE(std::filesystem::exists(var / "pg" / "postmaster.pid"));

  // A cluster already running is reused and left running when serve exits.
  db::ClusterOptions options;
  options.var_dir = var;
  auto running = db::EmbeddedCluster::ensure_started(options);
  ASSERT_TRUE(running.ok()) << running.error().message;
  {
    ChildProcess serve({kGatehouse, "serve", "--listen", "127.0.0.1:0", "--var", var.string()},
                       env);
    int port = start_and_get_port(serve);
    EXPECT_EQ(wait_for_health(port, 200, 60s)["status"], "ok");
    EXPECT_NE(serve.output().find("msg=\"reusing running embedded cluster\""), std::string::npos);
    serve.signal(SIGTERM);
    EXPECT_EQ(serve.wait_exit(30s), std::optional<int>(0));
  }
  EXPECT_TRUE(std::filesystem::exists(var / "pg" / "postmaster.pid"));
  EXPECT_TRUE(db::Connection::open(running->conninfo()).ok());
  EXPECT_TRUE(running->stop().ok());
  std::filesystem::remove_all(var);
}

}  // namespace
}  // namespace gatehouse
