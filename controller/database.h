// Where the controller's database is: GATEHOUSE_DB (a libpq connection string)
// when set, otherwise the embedded cluster under <var>/pg, started on demand.
#pragma once

#include <filesystem>
#include <memory>
#include <optional>
#include <string>

#include "base/result.h"
#include "db/cluster.h"
#include "db/pg.h"

namespace gatehouse::controller {

// The var directory: --var, else GATEHOUSE_VAR, else ./var.
std::filesystem::path resolve_var_dir(const std::optional<std::string>& flag);

// A database location; owns the embedded cluster when this process started it,
// and stops it on release() or destruction.
class DatabaseLocation {
 public:
  static Result<DatabaseLocation> resolve(const std::filesystem::path& var_dir);
  DatabaseLocation(DatabaseLocation&&) = default;
  DatabaseLocation& operator=(DatabaseLocation&&) = default;
  ~DatabaseLocation();

  const std::string& conninfo() const { return conninfo_; }
  bool embedded() const { return cluster_ != nullptr; }
  // Stops the embedded cluster if this process started it.
  void release();

 private:
  DatabaseLocation() = default;
  std::string conninfo_;
  std::unique_ptr<db::EmbeddedCluster> cluster_;
};

}  // namespace gatehouse::controller
