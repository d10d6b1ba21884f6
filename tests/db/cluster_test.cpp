// The embedded cluster: created, started, reused, stopped, restarted and
// recovered after a crash, each in a private var dir, with a real server.
#include "db/cluster.h"

#include <pwd.h>
#include <signal.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include <cerrno>
#include <chrono>
#include <fstream>
#include <thread>

#include "db/pg.h"
#include "tests/support/pg_test_cluster.h"

namespace gatehouse::db {
namespace {

namespace fs = std::filesystem;

// Removes a temp dir when the test ends, whatever happened.
struct TempDir {
  fs::path path = test_support::make_temp_dir("gatehouse-cluster-test");
  ~TempDir() {
    std::error_code ec;
    fs::remove_all(path, ec);
  }
};

// Stops a cluster when the test ends, so a failed assertion leaves no server.
struct StopAtEnd {
  std::optional<EmbeddedCluster>* cluster;
  ~StopAtEnd() {
    if (cluster->has_value()) (void)(*cluster)->stop(/*force=*/true);
  }
};

// Restores (or unsets) an environment variable when the test ends.
struct EnvGuard {
  std::string name;
  std::optional<std::string> old;
  explicit EnvGuard(std::string n) : name(std::move(n)) {
    if (const char* v = std::getenv(name.c_str())) old = v;
  }
  ~EnvGuard() {
    if (old) {
      ::setenv(name.c_str(), old->c_str(), 1);
    } else {
      ::unsetenv(name.c_str());
    }
  }
};

std::string query_one(Connection& c, const std::string& sql) {
  Result<Rows> r = c.exec(sql);
  if (!r.ok()) return "error: " + r.error().to_string();
  return std::string(r->text(0, 0));
}

pid_t postmaster_pid(const fs::path& data_dir) {
  std::ifstream in(data_dir / "postmaster.pid");
  pid_t pid = 0;
  in >> pid;
  return pid;
}

// Gone and reaped: a zombie still answers kill(pid, 0), so pg_ctl would
// take it for a running server.
bool process_gone(pid_t pid) { return ::kill(pid, 0) != 0 && errno == ESRCH; }

TEST(Cluster, FindsServerBinaries) {
  Result<fs::path> bin = find_server_bindir();
  ASSERT_TRUE(bin.ok()) << bin.error().to_string();
  EXPECT_EQ(::access((*bin / "initdb").c_str(), X_OK), 0);
  EXPECT_EQ(::access((*bin / "pg_ctl").c_str(), X_OK), 0);
}

TEST(Cluster, MissingServerBinariesSayHowToInstallThem) {
  EnvGuard env("GATEHOUSE_PG_BINDIR");
  ::unsetenv("GATEHOUSE_PG_BINDIR");
  TempDir empty;
  Result<fs::path> bin = find_server_bindir(empty.path);
  ASSERT_FALSE(bin.ok());
  EXPECT_EQ(bin.error().kind, ErrorKind::kNotFound);
  EXPECT_NE(bin.error().message.find("PostgreSQL server not installed: run scripts/install-deps.sh"),
            std::string::npos)
      << bin.error().message;

  ::setenv("GATEHOUSE_PG_BINDIR", empty.path.c_str(), 1);
  Result<fs::path> from_env = find_server_bindir();
  ASSERT_FALSE(from_env.ok());
  EXPECT_NE(from_env.error().message.find("GATEHOUSE_PG_BINDIR"), std::string::npos);
}

TEST(Cluster, StartReuseStopRestartAndRecoverFromACrash) {
  TempDir tmp;
  ClusterOptions options;
  options.var_dir = tmp.path / "var";  // does not exist yet
  std::optional<EmbeddedCluster> first;
  StopAtEnd stop_first{&first};

  // Fresh dir: initdb, start, create the database.
  {
    Result<EmbeddedCluster> c = EmbeddedCluster::ensure_started(options);
    ASSERT_TRUE(c.ok()) << c.error().to_string();
    first.emplace(std::move(c).value());
  }
  EXPECT_TRUE(first->started_by_us());
  EXPECT_TRUE(fs::exists(first->data_dir() / "PG_VERSION"));
  EXPECT_EQ(first->data_dir(), options.var_dir / "pg");
  EXPECT_EQ(first->socket_dir(), options.var_dir / "run");
  EXPECT_GT(fs::file_size(first->log_file()), 0u) << "initdb and server output go to var/pg.log";
  struct stat st {};
  ASSERT_EQ(::stat(first->socket_dir().c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 07777, 0700u) << "socket reachable only by its owner and root";
  if (::geteuid() == 0) {
    const passwd* pg = ::getpwnam("postgres");
    ASSERT_NE(pg, nullptr);
    EXPECT_EQ(st.st_uid, pg->pw_uid) << "as root, the cluster belongs to the postgres user";
    ASSERT_EQ(::stat(first->data_dir().c_str(), &st), 0);
    EXPECT_EQ(st.st_uid, pg->pw_uid);
  }
  EXPECT_NE(first->conninfo().find("dbname='gatehouse'"), std::string::npos) << first->conninfo();

  {
    Result<Connection> c = Connection::open(first->conninfo());
    ASSERT_TRUE(c.ok()) << c.error().to_string();
    EXPECT_EQ(query_one(*c, "SHOW listen_addresses"), "") << "no TCP port at all";
    EXPECT_EQ(query_one(*c, "SELECT current_database()"), "gatehouse");
    EXPECT_EQ(query_one(*c, "SELECT current_user"), "gatehouse");
    EXPECT_EQ(query_one(*c, "SHOW unix_socket_directories"), first->socket_dir().string());
    EXPECT_EQ(query_one(*c, "SELECT pg_encoding_to_char(encoding) FROM pg_database "
                            "WHERE datname = current_database()"),
              "UTF8");
    ASSERT_TRUE(c->exec("CREATE TABLE kept (v text)").ok());
    ASSERT_TRUE(c->exec("INSERT INTO kept VALUES ($1)", {"survives restarts"}).ok());
  }

  // Second call while running: reused, not restarted; stop() without force
  // leaves it running for whoever started it.
  {
    Result<EmbeddedCluster> again = EmbeddedCluster::ensure_started(options);
    ASSERT_TRUE(again.ok()) << again.error().to_string();
    EXPECT_FALSE(again->started_by_us());
    EXPECT_EQ(again->conninfo(), first->conninfo());
    Result<Connection> c = Connection::open(again->conninfo());
    ASSERT_TRUE(c.ok());
    EXPECT_EQ(query_one(*c, "SELECT v FROM kept"), "survives restarts");
    ASSERT_TRUE(again->stop().ok());
    EXPECT_TRUE(c->exec("SELECT 1").ok()) << "a reused cluster is not stopped without force";
  }

  // Stop: open sessions are cut and new ones refused.
  Result<Connection> held = Connection::open(first->conninfo());
  ASSERT_TRUE(held.ok());
  ASSERT_TRUE(first->stop().ok());
  EXPECT_FALSE(first->started_by_us());
  Result<Rows> after = held->exec("SELECT 1");
  ASSERT_FALSE(after.ok());
  EXPECT_EQ(after.error().kind, ErrorKind::kUnavailable) << after.error().to_string();
  Result<Connection> refused = Connection::open(first->conninfo());
  ASSERT_FALSE(refused.ok());
  EXPECT_EQ(refused.error().kind, ErrorKind::kUnavailable);
  EXPECT_TRUE(first->stop().ok()) << "stopping a stopped cluster is not an error";
  EXPECT_TRUE(first->stop(/*force=*/true).ok());

  // Restart after stop: same data, started by us again.
  {
    Result<EmbeddedCluster> c = EmbeddedCluster::ensure_started(options);
    ASSERT_TRUE(c.ok()) << c.error().to_string();
    first.emplace(std::move(c).value());
  }
  EXPECT_TRUE(first->started_by_us());
  {
    Result<Connection> c = Connection::open(first->conninfo());
    ASSERT_TRUE(c.ok());
    EXPECT_EQ(query_one(*c, "SELECT v FROM kept"), "survives restarts");
  }

  // Crash: kill the whole server with SIGKILL, leaving a stale postmaster.pid.
  const pid_t pid = postmaster_pid(first->data_dir());
  ASSERT_GT(pid, 0);
  ASSERT_EQ(::getpgid(pid), pid) << "pg_ctl puts the postmaster in its own process group";
  ASSERT_EQ(::kill(-pid, SIGKILL), 0);
  for (int i = 0; i < 400 && !process_gone(pid); ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  ASSERT_TRUE(process_gone(pid)) << "nothing reaped the killed postmaster within 20 s";

  ASSERT_TRUE(fs::exists(first->data_dir() / "postmaster.pid")) << "the crash left it behind";
  {
    Result<EmbeddedCluster> c = EmbeddedCluster::ensure_started(options);
    ASSERT_TRUE(c.ok()) << c.error().to_string();
    first.emplace(std::move(c).value());
  }
  EXPECT_TRUE(first->started_by_us());
  EXPECT_NE(postmaster_pid(first->data_dir()), pid);
  {
    Result<Connection> c = Connection::open(first->conninfo());
    ASSERT_TRUE(c.ok()) << c.error().to_string();
    EXPECT_EQ(query_one(*c, "SELECT v FROM kept"), "survives restarts") << "committed data recovered";
  }
  ASSERT_TRUE(first->stop().ok());
  first.reset();
}

TEST(Cluster, AsRootAVarDirThePostgresUserCannotReachIsExplained) {
  if (::geteuid() != 0) GTEST_SKIP() << "only root hands the cluster to the postgres user";
  TempDir tmp;
  const fs::path closed = tmp.path / "private";
  ASSERT_TRUE(fs::create_directory(closed));
  ASSERT_EQ(::chmod(closed.c_str(), 0700), 0);  // like /root
  ClusterOptions options;
  options.var_dir = closed / "var";
  Result<EmbeddedCluster> c = EmbeddedCluster::ensure_started(options);
  ASSERT_FALSE(c.ok());
  EXPECT_EQ(c.error().kind, ErrorKind::kInvalidInput);
  EXPECT_NE(c.error().message.find("cannot reach " + options.var_dir.string()), std::string::npos)
      << c.error().message;
  EXPECT_NE(c.error().message.find("set GATEHOUSE_VAR"), std::string::npos) << c.error().message;
  EXPECT_FALSE(fs::exists(options.var_dir / "pg" / "PG_VERSION"));
}

TEST(Cluster, TooLongSocketPathIsRefusedUpFront) {
  ClusterOptions options;
  options.var_dir = fs::path("/tmp") / std::string(120, 'v');
  Result<EmbeddedCluster> c = EmbeddedCluster::ensure_started(options);
  ASSERT_FALSE(c.ok());
  EXPECT_EQ(c.error().kind, ErrorKind::kInvalidInput);
  EXPECT_NE(c.error().message.find("too long"), std::string::npos) << c.error().message;
  EXPECT_FALSE(fs::exists(options.var_dir));
}

}  // namespace
}  // namespace gatehouse::db
