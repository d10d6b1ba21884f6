#include "controller/db_worker.h"

#include <algorithm>
#include <set>

#include "base/log.h"
#include "db/access_data.h"
#include "db/badge_store.h"
#include "db/door_store.h"
#include "db/reader_key_store.h"
#include "db/migrate.h"
#include "db/notify.h"
#include "db/pg.h"
#include "db/site_store.h"

namespace gatehouse::controller {
namespace {

constexpr std::chrono::milliseconds kFirstBackoff{500};
constexpr std::chrono::milliseconds kMaxBackoff{10'000};
constexpr std::chrono::milliseconds kListenSlice{1'000};
constexpr std::chrono::minutes kSweepPeriod{60};

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

std::optional<std::int64_t> id_after(const std::string& payload, std::string_view prefix) {
  if (payload.rfind(prefix, 0) != 0) return std::nullopt;
  std::string digits = payload.substr(prefix.size());
  if (digits.empty() || digits.size() > 18 ||
      digits.find_first_not_of("0123456789") != std::string::npos) {
    return std::nullopt;
  }
  return std::stoll(digits);
}

}  // namespace

DbWorker::DbWorker(std::string conninfo, ControllerStatus& status, AccessSink sink,
                   std::function<void(Error)> on_fatal)
    : conninfo_(std::move(conninfo)),
      status_(status),
      sink_(std::move(sink)),
      on_fatal_(std::move(on_fatal)) {}

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

bool DbWorker::stopping() {
  std::lock_guard lock(mutex_);
  return stopping_;
}

bool DbWorker::wait_for(std::chrono::milliseconds d) {
  std::unique_lock lock(mutex_);
  return !cv_.wait_for(lock, d, [this] { return stopping_; });
}

Status DbWorker::full_reload(db::Connection& conn) {
  auto site = db::load_site(conn);
  if (!site.ok()) {
    if (site.error().kind == ErrorKind::kNotFound) {
      log(LogLevel::kWarn, "db", "no site applied yet; run: gatehouse site apply FILE");
      return {};
    }
    return site.error();
  }
  auto data = db::load_access_data(conn);
  if (!data.ok()) return data.error();
  auto modes = db::load_door_modes(conn);
  if (!modes.ok()) return modes.error();
  access::BuildReport report;
  auto snapshot = access::Snapshot::build(*site, *data, &report);
  if (!snapshot.ok()) {
    log(LogLevel::kError, "access", "cannot build the decision snapshot; keeping the previous one",
        {{"error", snapshot.error().message}});
    return {};
  }
  status_.set_site(site->name, count_site(*site));
  suspend_unused_days_ = site->suspend_unused_days;
  if (sink_.pin_policy) sink_.pin_policy(site->pin_attempts, site->pin_lockout_minutes);
  log(LogLevel::kInfo, "db", "site loaded",
      {{"site", site->name}, {"doors", std::to_string(site->doors.size())},
       {"people", std::to_string(data->people.size())},
       {"badges", std::to_string(data->badges.size())}});
  if (sink_.install_site) sink_.install_site(std::make_shared<const site::Site>(*site));
  reader_ids_.clear();
  for (const auto& r : site->readers) reader_ids_.push_back(r.id);
  if (Status s = send_reader_security(conn); !s.ok()) return s;
  sink_.install(std::make_shared<access::Snapshot>(std::move(snapshot).value()));
  // The lockdown as loaded: the doors act on it (the snapshot already has it).
  AccessChange lockdown;
  lockdown.kind = AccessChange::Kind::kLockdown;
  lockdown.lockdown = data->lockdown;
  sink_.apply(std::move(lockdown));
  // Every door's mode, normal ones included, so nothing set before a reload lingers.
  for (const auto& door : site->doors) {
    AccessChange change;
    change.kind = AccessChange::Kind::kDoorMode;
    change.door_id = door.id;
    for (const auto& m : *modes) {
      if (m.door_id == door.id) change.door_mode = m;
    }
    sink_.apply(std::move(change));
  }
  return {};
}

Status DbWorker::handle(db::Connection& conn, const std::string& payload) {
  AccessChange change;
  if (payload == "lockdown") {
    auto row = db::load_lockdown(conn);
    if (!row.ok()) return row.error();
    change.kind = AccessChange::Kind::kLockdown;
    change.lockdown = *row;
  } else if (auto person = id_after(payload, "person:")) {
    auto row = db::load_person(conn, *person);
    if (!row.ok()) return row.error();
    change.id = *person;
    change.kind = row->has_value() ? AccessChange::Kind::kPerson : AccessChange::Kind::kPersonGone;
    change.person = *row;
  } else if (auto badge = id_after(payload, "badge:")) {
    auto row = db::load_badge(conn, *badge);
    if (!row.ok()) return row.error();
    change.id = *badge;
    change.kind = row->has_value() ? AccessChange::Kind::kBadge : AccessChange::Kind::kBadgeGone;
    change.badge = *row;
  } else if (payload.rfind("reader:", 0) == 0) {
    return send_reader_security(conn);
  } else if (payload.rfind("door:", 0) == 0) {
    change.kind = AccessChange::Kind::kDoorMode;
    change.door_id = payload.substr(5);
    auto row = db::load_door_mode(conn, change.door_id);
    if (!row.ok()) return row.error();
    change.door_mode = *row;
  } else if (auto forgiven = id_after(payload, "forgive:")) {
    change.kind = AccessChange::Kind::kForgive;
    change.id = *forgiven;
  } else {
    log(LogLevel::kWarn, "db", "unknown change notification ignored", {{"payload", payload}});
    return {};
  }
  sink_.apply(std::move(change));
  return {};
}

Status DbWorker::send_reader_security(db::Connection& conn) {
  if (!sink_.reader_security) return {};
  std::map<std::string, SealedReaderSecurity> all;
  const WallTime now = SystemClock::instance().wall();
  for (const auto& id : reader_ids_) {
    SealedReaderSecurity sec;
    auto key = db::load_reader_key(conn, id);
    if (!key.ok()) return key.error();
    sec.key = *key;
    auto mode = db::load_install_mode(conn, id);
    if (!mode.ok()) return mode.error();
    sec.install_mode = mode->has_value() && (*mode)->expires_at > now;
    all[id] = std::move(sec);
  }
  sink_.reader_security(std::move(all));
  return {};
}

Status DbWorker::sweep_unused(db::Connection& conn) {
  auto now = std::chrono::steady_clock::now();
  if (suspend_unused_days_ <= 0 || now < next_sweep_) return {};
  next_sweep_ = now + kSweepPeriod;
  auto suspended = db::suspend_unused(conn, suspend_unused_days_, SystemClock::instance().wall(),
                                      "system");
  if (!suspended.ok()) return suspended.error();
  if (!suspended->empty()) {
    log(LogLevel::kInfo, "access", "unused badges suspended",
        {{"badges", std::to_string(suspended->size())},
         {"unused_days", std::to_string(suspend_unused_days_)}});
  }
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

  while (!stopping()) {
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
    // LISTEN before loading, so a change committed during the load is not missed.
    Status ready = db::listen(*conn, db::kAccessChannel);
    if (ready.ok()) ready = full_reload(*conn);
    if (!ready.ok()) {
      if (!retry_later(ready.error(), "database lost while loading; retrying")) return;
      continue;
    }
    status_.set_database_up(*version);
    log(LogLevel::kInfo, "db", "database connected", {{"schema_version", std::to_string(*version)}});
    backoff = kFirstBackoff;

    Status link;
    while (link.ok() && !stopping()) {
      auto notes = db::wait_for_notifications(*conn, kListenSlice);
      if (!notes.ok()) {
        link = notes.error();
        break;
      }
      // A site change rebuilds everything; otherwise each distinct payload once, in order.
      bool site_changed = std::any_of(notes->begin(), notes->end(),
                                      [](const db::Notification& n) { return n.payload == "site"; });
      if (site_changed) {
        link = full_reload(*conn);
      } else {
        std::set<std::string> seen;
        for (const auto& n : *notes) {
          if (!seen.insert(n.payload).second) continue;
          link = handle(*conn, n.payload);
          if (!link.ok()) break;
        }
      }
      if (link.ok()) link = sweep_unused(*conn);
    }
    if (stopping()) return;
    if (!retry_later(link.error(), "database lost; reconnecting")) return;
  }
}

}  // namespace gatehouse::controller
