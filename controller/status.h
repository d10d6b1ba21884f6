// What the controller knows about its own health, shared between the database
// worker thread (writer) and the HTTP handlers on the reactor (readers).
//
// Thread safety: every field is atomic or guarded by mutex_; readers take a
// snapshot() and never hold the lock across I/O.
#pragma once

#include <atomic>
#include <cstdint>
#include <map>
#include <mutex>
#include <string>

#include "base/clock.h"

namespace gatehouse::controller {

struct StatusSnapshot {
  bool database_reachable = false;
  bool database_embedded = false;
  int schema_version = 0;
  int latest_schema_version = 0;
  std::string database_error;  // last error while unreachable, "" when reachable
  std::int64_t database_reconnects = 0;
  bool site_loaded = false;
  std::string site_name;
  std::map<std::string, int> site_counts;  // "doors" -> 3, ...
  double uptime_s = 0;
  std::map<std::string, std::int64_t> http_requests;  // "GET /healthz 200" -> count
};

class ControllerStatus {
 public:
  ControllerStatus(const Clock& clock, int latest_schema_version, bool embedded);

  void set_database_up(int schema_version);
  void set_database_down(std::string error);
  void set_site(std::string name, std::map<std::string, int> counts);
  void count_request(const std::string& method, const std::string& path, int status);

  StatusSnapshot snapshot() const;

 private:
  const Clock& clock_;
  const MonoTime started_;
  const int latest_schema_version_;
  const bool embedded_;
  mutable std::mutex mutex_;
  bool database_reachable_ = false;
  bool ever_reachable_ = false;
  int schema_version_ = 0;
  std::string database_error_ = "not connected yet";
  std::int64_t reconnects_ = 0;
  bool site_loaded_ = false;
  std::string site_name_;
  std::map<std::string, int> site_counts_;
  std::map<std::string, std::int64_t> http_requests_;
};

}  // namespace gatehouse::controller
