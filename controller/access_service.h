// The decision path of a running controller. Owns the engine and its snapshot;
// lives on the reactor (the io_context runs on one thread, so every call here,
// from HTTP handlers, readers and posted database changes, is serialised).
// Decisions never wait on the database: each goes to the EventWriter's queue.
#pragma once

#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>

#include "base/result.h"
#include "controller/access/engine.h"
#include "db/access_data.h"
#include "db/door_store.h"
#include "readers/wiegand.h"

namespace gatehouse::controller {

class EventWriter;

// One change the database reported (see db/access_data.h for the payloads).
struct AccessChange {
  enum class Kind { kPerson, kPersonGone, kBadge, kBadgeGone, kLockdown, kForgive, kDoorMode };
  Kind kind = Kind::kPerson;
  std::int64_t id = 0;  // person or badge id
  std::optional<db::PersonRow> person;
  std::optional<db::BadgeRow> badge;
  db::LockdownRow lockdown;
  std::string door_id;                     // kDoorMode
  std::optional<db::DoorModeRow> door_mode;  // kDoorMode: nullopt = normal
};

class AccessService {
 public:
  explicit AccessService(EventWriter* events) : events_(events) {}

  // A full snapshot: at start, after a site change, after a reconnect.
  void install(access::Snapshot snapshot);
  void apply(const AccessChange& change);
  bool ready() const { return engine_.has_value(); }
  // Told of every door mode and lockdown change after the engine has applied it
  // (the door machines act on them). Reactor thread.
  void set_observer(std::function<void(const AccessChange&)> observer) {
    observer_ = std::move(observer);
  }
  // Grants reach the door: called with each granted decision. Reactor thread.
  void set_grant_handler(std::function<void(const access::Decision&)> handler) {
    on_grant_ = std::move(handler);
  }

  // A badge read at a reader; kNotFound for a reader no door uses,
  // kUnavailable before the first snapshot.
  Result<access::Decision> present(std::string_view reader_id, const readers::RawCard& card,
                                   std::optional<std::string> pin, WallTime at);

  // For /metrics.
  const std::map<std::string, std::int64_t>& decisions_by_reason() const { return by_reason_; }
  std::size_t badges() const { return engine_ ? engine_->snapshot().badge_count() : 0; }
  std::size_t people() const { return engine_ ? engine_->snapshot().person_count() : 0; }
  std::int64_t change_failures() const { return change_failures_; }

 private:
  EventWriter* events_;  // not owned; may be null in tests
  std::optional<access::Engine> engine_;
  std::map<std::string, std::int64_t> by_reason_;
  std::int64_t change_failures_ = 0;
  std::function<void(const AccessChange&)> observer_;
  std::function<void(const access::Decision&)> on_grant_;
};

}  // namespace gatehouse::controller
