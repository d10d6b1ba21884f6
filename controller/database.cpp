#include "controller/database.h"

#include <cstdlib>

#include "base/log.h"

namespace gatehouse::controller {

std::filesystem::path resolve_var_dir(const std::optional<std::string>& flag) {
  if (flag) return std::filesystem::absolute(*flag);
  if (const char* env = std::getenv("GATEHOUSE_VAR"); env != nullptr && *env != '\0') {
    return std::filesystem::absolute(env);
  }
  return std::filesystem::absolute("var");
}

Result<DatabaseLocation> DatabaseLocation::resolve(const std::filesystem::path& var_dir) {
  DatabaseLocation location;
  if (const char* env = std::getenv("GATEHOUSE_DB"); env != nullptr && *env != '\0') {
    location.conninfo_ = env;
    return location;
  }
  db::ClusterOptions options;
  options.var_dir = var_dir;
  auto cluster = db::EmbeddedCluster::ensure_started(options);
  if (!cluster.ok()) return cluster.error();
  location.cluster_ = std::make_unique<db::EmbeddedCluster>(std::move(cluster).value());
  location.conninfo_ = location.cluster_->conninfo();
  return location;
}

void DatabaseLocation::release() {
  if (cluster_ && cluster_->started_by_us()) {
    Status stopped = cluster_->stop();
    if (!stopped.ok()) {
      log(LogLevel::kError, "db", "embedded cluster did not stop",
          {{"error", stopped.error().message}});
    }
  }
  cluster_.reset();
}

DatabaseLocation::~DatabaseLocation() { release(); }

}  // namespace gatehouse::controller
