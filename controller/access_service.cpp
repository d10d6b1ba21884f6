#include "controller/access_service.h"

#include "base/log.h"
#include "controller/event_writer.h"

namespace gatehouse::controller {

void AccessService::install(access::Snapshot snapshot) {
  std::size_t badges = snapshot.badge_count();
  if (engine_) {
    engine_->replace_snapshot(std::move(snapshot));
  } else {
    engine_.emplace(std::move(snapshot));
  }
  log(LogLevel::kInfo, "access", "snapshot installed", {{"badges", std::to_string(badges)}});
}

void AccessService::apply(const AccessChange& change) {
  if (!engine_) return;  // the first full snapshot will include it
  access::Snapshot& snap = engine_->snapshot();
  Status applied;
  switch (change.kind) {
    case AccessChange::Kind::kPerson:
      applied = snap.upsert_person(*change.person);
      break;
    case AccessChange::Kind::kPersonGone:
      snap.remove_person(change.id);
      break;
    case AccessChange::Kind::kBadge:
      applied = snap.upsert_badge(*change.badge);
      break;
    case AccessChange::Kind::kBadgeGone:
      snap.remove_badge(change.id);
      break;
    case AccessChange::Kind::kLockdown:
      if (snap.lockdown().active != change.lockdown.active ||
          snap.lockdown().allowed_group != change.lockdown.allowed_group) {
        log(LogLevel::kWarn, "access",
            change.lockdown.active ? "LOCKDOWN in force" : "lockdown lifted",
            {{"operator", change.lockdown.operator_name},
             {"allowed_group", change.lockdown.allowed_group}});
      }
      snap.set_lockdown(change.lockdown);
      break;
    case AccessChange::Kind::kForgive:
      engine_->forgive(change.id);
      break;
    case AccessChange::Kind::kDoorMode: {
      bool locked = change.door_mode && change.door_mode->mode == db::DoorModeKind::kLocked;
      applied = snap.set_door_locked(change.door_id, locked,
                                     locked ? change.door_mode->allowed_group : std::nullopt);
      break;
    }
  }
  if (observer_ && (change.kind == AccessChange::Kind::kDoorMode ||
                    change.kind == AccessChange::Kind::kLockdown)) {
    observer_(change);
  }
  if (!applied.ok()) {
    // The snapshot already refused the row safely (an unusable badge opens nothing).
    ++change_failures_;
    log(LogLevel::kWarn, "access", "change not applied", {{"error", applied.error().message}});
  }
}

Result<access::Decision> AccessService::present(std::string_view reader_id,
                                                const readers::RawCard& card,
                                                std::optional<std::string> pin, WallTime at) {
  if (!engine_) return make_error(ErrorKind::kUnavailable, "no site loaded yet");
  auto door = engine_->snapshot().find_door_by_reader(reader_id);
  if (!door) {
    return make_error(ErrorKind::kNotFound, "no door uses reader '" + std::string(reader_id) + "'");
  }
  access::DecisionRequest request{*door, card, std::move(pin), at};
  auto decision = engine_->decide(request);
  if (!decision.ok()) return decision.error();
  ++by_reason_[std::string(access::reason_code(decision->reason))];
  if (events_ != nullptr) events_->submit(*decision);
  if (decision->granted && on_grant_) on_grant_(*decision);
  return decision;
}

}  // namespace gatehouse::controller
