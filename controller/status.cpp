#include "controller/status.h"

namespace gatehouse::controller {

ControllerStatus::ControllerStatus(const Clock& clock, int latest_schema_version, bool embedded)
    : clock_(clock),
      started_(clock.mono()),
      latest_schema_version_(latest_schema_version),
      embedded_(embedded) {}

void ControllerStatus::set_database_up(int schema_version) {
  std::lock_guard lock(mutex_);
  if (!database_reachable_ && ever_reachable_) ++reconnects_;
  database_reachable_ = true;
  ever_reachable_ = true;
  schema_version_ = schema_version;
  database_error_.clear();
}

void ControllerStatus::set_database_down(std::string error) {
  std::lock_guard lock(mutex_);
  database_reachable_ = false;
  database_error_ = std::move(error);
}

void ControllerStatus::set_site(std::string name, std::map<std::string, int> counts) {
  std::lock_guard lock(mutex_);
  site_loaded_ = true;
  site_name_ = std::move(name);
  site_counts_ = std::move(counts);
}

void ControllerStatus::count_request(const std::string& method, const std::string& path,
                                     int status) {
  std::lock_guard lock(mutex_);
  ++http_requests_[method + " " + path + " " + std::to_string(status)];
}

StatusSnapshot ControllerStatus::snapshot() const {
  StatusSnapshot s;
  s.uptime_s = static_cast<double>(clock_.mono().us - started_.us) / 1e6;
  s.latest_schema_version = latest_schema_version_;
  s.database_embedded = embedded_;
  std::lock_guard lock(mutex_);
  s.database_reachable = database_reachable_;
  s.schema_version = schema_version_;
  s.database_error = database_error_;
  s.database_reconnects = reconnects_;
  s.site_loaded = site_loaded_;
  s.site_name = site_name_;
  s.site_counts = site_counts_;
  s.http_requests = http_requests_;
  return s;
}

}  // namespace gatehouse::controller
