#include "controller/db_worker.h"

#include <algorithm>

#include "base/log.h"
#include "db/migrate.h"
#include "db/pg.h"
#include "db/site_store.h"

namespace gatehouse::controller {
namespace {

constexpr std::chrono::milliseconds kFirstBackoff{500};
constexpr std::chrono::milliseconds kMaxBackoff{10'000};
constexpr std::chrono::milliseconds kCheckPeriod{1'000};

std::map<std::string, int> count_site(const site::Site& s) {
  return {{"schedules", static_cast<int>(s.schedules.size())},
          {"areas", static_cast<int>(s.areas.size())},
          {"groups", static_cast<int>(s.groups.size())},
          {"access_levels", static_cast<int>(s.access_levels.size())},
          {"io_modules", static_cast<int>(s.io_modules.size())},
          {"readers", static_cast<int>(s.readers.size())},
          {"cameras", static_cast<int>(s.cameras.size())},
          {"doors", static_cast<int>(s.doors.size())}};
}

}  // namespace

DbWorker::DbWorker(std::string conninfo, ControllerStatus& status,
                   std::function<void(Error)> on_fatal)
    : conninfo_(std::move(conninfo)), status_(status), on_fatal_(std::move(on_fatal)) {}

DbWorker::~DbWorker() { stop(); }

void DbWorker::start() { thread_ = std::thread([this] { run(); }); }

void DbWorker::stop() {
  {
    std::lock_guard lock(mutex_);
    stopping_ = true;
  }
  cv_.notify_all();
  if (thread_.joinable()) thread_.join();
}

bool DbWorker::wait_for(std::chrono::milliseconds d) {
  std::unique_lock lock(mutex_);
  return !cv_.wait_for(lock, d, [this] { return stopping_; });
}

Status DbWorker::refresh_site(db::Connection& conn) {
  auto rev = conn.exec("SELECT coalesce(max(id), 0) FROM site_revisions");
  if (!rev.ok()) return rev.error();
  std::int64_t newest = rev->int64(0, 0);
  if (newest == loaded_revision_) return {};
  auto loaded = db::load_site(conn);
  if (!loaded.ok()) {
    if (loaded.error().kind != ErrorKind::kNotFound) return loaded.error();
    if (loaded_revision_ != 0) {
      log(LogLevel::kWarn, "db", "no site applied yet; run: gatehouse site apply FILE");
    }
  } else {
    status_.set_site(loaded->name, count_site(*loaded));
    log(LogLevel::kInfo, "db", "site loaded",
        {{"site", loaded->name}, {"revision", std::to_string(newest)},
         {"doors", std::to_string(loaded->doors.size())}});
  }
  loaded_revision_ = newest;
  return {};
}

void DbWorker::run() {
  auto backoff = kFirstBackoff;
  auto retry_later = [&](const Error& e, const char* what) {
    status_.set_database_down(e.message);
    log(LogLevel::kWarn, "db", what,
        {{"error", e.message}, {"retry_in_ms", std::to_string(backoff.count())}});
    bool keep_going = wait_for(backoff);
    backoff = std::min(backoff * 2, kMaxBackoff);
    return keep_going;
  };

  while (true) {
    {
      std::lock_guard lock(mutex_);
      if (stopping_) return;
    }
    auto conn = db::Connection::open(conninfo_);
    if (!conn.ok()) {
      if (!retry_later(conn.error(), "database unreachable; retrying")) return;
      continue;
    }
    auto version = db::migrate(*conn);
    if (!version.ok()) {
      if (version.error().kind == ErrorKind::kUnavailable) {
        if (!retry_later(version.error(), "database lost during migration; retrying")) return;
        continue;
      }
      status_.set_database_down(version.error().message);
      log(LogLevel::kError, "db", "database refused", {{"error", version.error().message}});
      on_fatal_(version.error());
      return;
    }
    status_.set_database_up(*version);
    log(LogLevel::kInfo, "db", "database connected", {{"schema_version", std::to_string(*version)}});
    backoff = kFirstBackoff;

    while (true) {
      Status checked = refresh_site(*conn);
      if (!checked.ok()) {
        if (!retry_later(checked.error(), "database lost; reconnecting")) return;
        break;
      }
      if (!wait_for(kCheckPeriod)) return;
    }
  }
}

}  // namespace gatehouse::controller
