#include "tests/support/pg_test_cluster.h"

#include <sys/stat.h>
#include <unistd.h>

#include <atomic>
#include <cstdio>
#include <cstdlib>
#include <mutex>
#include <optional>
#include <system_error>
#include <vector>

#include "db/pg.h"

namespace gatehouse::test_support {
namespace {

namespace fs = std::filesystem;

std::mutex g_mutex;
std::optional<db::EmbeddedCluster> g_cluster;
fs::path g_dir;
std::atomic<int> g_next_db{0};

[[noreturn]] void die(const std::string& what) {
  std::fprintf(stderr, "test cluster: %s\n", what.c_str());
  std::fflush(stderr);
  std::exit(EXIT_FAILURE);  // atexit still removes what was made
}

void teardown() {
  std::lock_guard lock(g_mutex);
  if (g_cluster) {
    Status s = g_cluster->stop(/*force=*/true);
    if (!s.ok()) std::fprintf(stderr, "test cluster: stop: %s\n", s.error().to_string().c_str());
    g_cluster.reset();
  }
  if (!g_dir.empty()) {
    std::error_code ec;
    fs::remove_all(g_dir, ec);
    g_dir.clear();
  }
}

}  // namespace

fs::path make_temp_dir(std::string_view prefix) {
  const char* tmp = std::getenv("TMPDIR");
  std::string pattern = (tmp != nullptr && *tmp != '\0') ? tmp : "/tmp";
  pattern += "/";
  pattern += prefix;
  pattern += "-XXXXXX";
  std::vector<char> buf(pattern.begin(), pattern.end());
  buf.push_back('\0');
  if (::mkdtemp(buf.data()) == nullptr) {
    // _Exit, not exit: this may run under the lock teardown() takes.
    std::fprintf(stderr, "test cluster: mkdtemp %s failed\n", pattern.c_str());
    std::_Exit(EXIT_FAILURE);
  }
  // mkdtemp makes it 0700; the server user must be able to traverse it.
  ::chmod(buf.data(), 0711);
  return fs::path(buf.data());
}

const db::EmbeddedCluster& test_cluster() {
  std::string error;
  {
    std::lock_guard lock(g_mutex);
    if (!g_cluster) {
      g_dir = make_temp_dir("gatehouse-test");
      std::atexit(teardown);
      db::ClusterOptions options;
      options.var_dir = g_dir / "var";
      Result<db::EmbeddedCluster> c = db::EmbeddedCluster::ensure_started(options);
      if (c.ok()) {
        g_cluster.emplace(std::move(c).value());
      } else {
        error = "could not start: " + c.error().to_string();
      }
    }
    if (g_cluster) return *g_cluster;
  }
  die(error);  // outside the lock: exit runs teardown(), which takes it
}

std::string fresh_database() {
  const db::EmbeddedCluster& cluster = test_cluster();
  const std::string name =
      "test_" + std::to_string(::getpid()) + "_" + std::to_string(g_next_db.fetch_add(1));
  Result<db::Connection> admin = db::Connection::open(cluster.conninfo_for("postgres"));
  if (!admin.ok()) die("connect: " + admin.error().to_string());
  Result<db::Rows> made = admin->exec("CREATE DATABASE " + db::quote_identifier(name));
  if (!made.ok()) die("create database: " + made.error().to_string());
  return cluster.conninfo_for(name);
}

}  // namespace gatehouse::test_support
