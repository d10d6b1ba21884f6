#include "firmware-bridge/sim_physics.h"

namespace gatehouse::bridge {
namespace {

MonoTime after(MonoTime t, std::int64_t us) { return MonoTime{t.us + us}; }

Status busy(DoorPhase phase) {
  std::string message = "the door is busy (";
  message += phase_name(phase);
  message += ")";
  return make_error(ErrorKind::kConflict, std::move(message));
}

}  // namespace

std::string_view phase_name(DoorPhase phase) {
  switch (phase) {
    case DoorPhase::kClosed: return "closed";
    case DoorPhase::kWaitingForUnlock: return "waiting_for_unlock";
    case DoorPhase::kButtonPressed: return "button_pressed";
    case DoorPhase::kOpening: return "opening";
    case DoorPhase::kOpen: return "open";
  }
  return "closed";
}

Status DoorPhysics::present(MonoTime now) {
  if (!idle()) return busy(phase_);
  phase_ = DoorPhase::kWaitingForUnlock;
  visitor_ = Visitor::kCard;
  deadline_ = after(now, t_.wait_for_unlock_us);
  return {};
}

Status DoorPhysics::exit(MonoTime now) {
  if (!idle()) return busy(phase_);
  phase_ = DoorPhase::kButtonPressed;
  visitor_ = Visitor::kExit;
  deadline_ = after(now, t_.exit_press_us);
  return {};
}

Status DoorPhysics::force(MonoTime now) {
  if (open()) return busy(phase_);
  visitor_ = Visitor::kForce;
  open_now_ = true;
  open_for_us_ = t_.force_open_us;
  deadline_ = now;
  return {};
}

Status DoorPhysics::hold(MonoTime now, std::int64_t duration_us) {
  if (duration_us <= 0) return make_error(ErrorKind::kInvalidInput, "hold needs a positive duration");
  visitor_ = Visitor::kHold;
  if (open()) {
    deadline_ = after(now, duration_us);  // kept open longer
    return {};
  }
  open_now_ = true;
  open_for_us_ = duration_us;
  deadline_ = now;
  return {};
}

// Every transition of the door's physics is here. Timed steps are chained from
// the previous step's deadline, so a late tick runs them at their own times;
// the lock release is an observation, dated by the tick that sees it.
std::vector<std::string> DoorPhysics::tick(MonoTime now, bool lock_unlocked) {
  std::vector<std::string> changes;
  for (int guard = 0; guard < 8; ++guard) {
    if (open_now_) {
      open_now_ = false;
      const MonoTime at = deadline_;
      phase_ = DoorPhase::kOpen;
      deadline_ = after(at, open_for_us_);
      std::string line = visitor_ == Visitor::kForce ? "door forced open" : "door held open";
      line += lock_unlocked ? " (lock unlocked)" : " (lock locked)";
      changes.push_back(std::move(line));
      continue;
    }
    switch (phase_) {
      case DoorPhase::kClosed:
        return changes;
      case DoorPhase::kWaitingForUnlock:
        if (lock_unlocked) {
          phase_ = DoorPhase::kOpening;
          deadline_ = after(now, visitor_ == Visitor::kExit ? t_.exit_open_delay_us : t_.open_delay_us);
          changes.emplace_back("lock released: the person pulls the door");
          continue;
        }
        if (now < deadline_) return changes;
        if (visitor_ == Visitor::kExit) {
          // Free egress: the inside handle opens the door mechanically; the
          // controller sees it opened while locked.
          phase_ = DoorPhase::kOpening;
          deadline_ = after(deadline_, t_.exit_open_delay_us);
          changes.emplace_back("lock stayed locked: the person leaves by the inside handle (free egress)");
          continue;
        }
        phase_ = DoorPhase::kClosed;
        visitor_ = Visitor::kNone;
        changes.emplace_back("lock stayed locked: the person walks away");
        return changes;
      case DoorPhase::kButtonPressed:
        if (now < deadline_) return changes;
        phase_ = DoorPhase::kWaitingForUnlock;
        deadline_ = after(deadline_, t_.wait_for_unlock_us);
        changes.emplace_back("exit button released");
        continue;
      case DoorPhase::kOpening:
        if (now < deadline_) return changes;
        phase_ = DoorPhase::kOpen;
        deadline_ = after(deadline_, t_.walk_through_us);
        changes.emplace_back(lock_unlocked ? "door opened" : "door opened (lock locked)");
        continue;
      case DoorPhase::kOpen:
        if (now < deadline_) return changes;
        phase_ = DoorPhase::kClosed;
        visitor_ = Visitor::kNone;
        changes.emplace_back("door closed");
        return changes;
    }
  }
  return changes;
}

}  // namespace gatehouse::bridge
