// The embedded PostgreSQL cluster `gatehouse serve` runs when GATEHOUSE_DB is
// not set: a private cluster under <var>/pg that listens only on a Unix socket
// in <var>/run. Layout, ownership and lifecycle: docs/embedded-postgres.md.
//
// Thread safety: ensure_started() and stop() block (they run initdb and
// pg_ctl and wait for them); call them off the reactor. Concurrent calls for
// the same var dir, from threads or processes, serialise on <var>/pg-cluster.lock.
// Lifetime: the server outlives this object; nothing is stopped on destruction.
#pragma once

#include <sys/types.h>

#include <filesystem>
#include <string>
#include <string_view>
#include <vector>

#include "base/result.h"

namespace gatehouse::db {

struct ClusterOptions {
  std::filesystem::path var_dir;  // made absolute; created (mode 0711) if missing
  std::string database = "gatehouse";
  std::filesystem::path bindir;  // empty: find_server_bindir()
};

// Where initdb and pg_ctl live: $GATEHOUSE_PG_BINDIR if set, else the highest
// <search_root>/<version>/bin that has initdb. kNotFound with an
// operator-facing message when there is none.
Result<std::filesystem::path> find_server_bindir(
    const std::filesystem::path& search_root = "/usr/lib/postgresql");

class EmbeddedCluster {
 public:
  // The database role initdb creates and conninfo() names.
  static constexpr std::string_view kRole = "gatehouse";
  // The socket file is <socket_dir>/.s.PGSQL.<kPort>; no TCP port is opened.
  static constexpr int kPort = 5432;

  // Creates the cluster if absent (initdb), starts it unless already running,
  // creates the database if missing. Run as root, the server runs as the
  // owner of an existing data dir, else as the `postgres` system user.
  static Result<EmbeddedCluster> ensure_started(const ClusterOptions& options);

  // "host=<abs socket dir> port=5432 dbname=<database> user=gatehouse".
  std::string conninfo() const;
  std::string conninfo_for(std::string_view database) const;

  // False when the server was already running and this call reused it.
  bool started_by_us() const { return started_by_us_; }

  // pg_ctl stop -m fast -w. Does nothing unless this object started the
  // server or force is set, so a reused cluster keeps serving its other users.
  // Stopping a server that is not running is not an error.
  Status stop(bool force = false);

  const std::filesystem::path& var_dir() const { return var_dir_; }
  const std::filesystem::path& data_dir() const { return data_dir_; }
  const std::filesystem::path& socket_dir() const { return socket_dir_; }
  const std::filesystem::path& log_file() const { return log_file_; }

  // Who the server processes run as; drop is false when that is ourselves.
  struct RunAs {
    bool drop = false;
    uid_t uid = 0;
    gid_t gid = 0;
    std::vector<gid_t> groups;
    std::string name;
  };

 private:
  EmbeddedCluster() = default;

  std::filesystem::path bindir_;
  std::filesystem::path var_dir_;
  std::filesystem::path data_dir_;
  std::filesystem::path socket_dir_;
  std::filesystem::path log_file_;
  std::string database_;
  RunAs run_as_;
  bool started_by_us_ = false;
};

}  // namespace gatehouse::db
