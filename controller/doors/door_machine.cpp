#include "controller/doors/door_machine.h"

#include <algorithm>

namespace gatehouse::controller::doors {

namespace {

constexpr std::int64_t kUsPerSecond = 1'000'000;
// A lead that never answers its lock writes would grow the queue forever; past
// this many unanswered writes the oldest are forgotten (docs/doors.md).
constexpr std::size_t kMaxPendingWrites = 32;

bool is_closed_state(DoorState s) {
  return s == DoorState::kLocked || s == DoorState::kReleased || s == DoorState::kUnlocked;
}

}  // namespace

std::string_view state_name(DoorState s) {
  switch (s) {
    case DoorState::kUnknown: return "unknown";
    case DoorState::kLocked: return "locked";
    case DoorState::kReleased: return "released";
    case DoorState::kUnlocked: return "unlocked";
    case DoorState::kOpen: return "open";
    case DoorState::kHeldOpenPrealarm: return "held_open_prealarm";
    case DoorState::kHeldOpen: return "held_open";
    case DoorState::kForcedOpen: return "forced_open";
  }
  return "invalid";
}

bool is_open_state(DoorState s) {
  return s == DoorState::kOpen || s == DoorState::kHeldOpenPrealarm ||
         s == DoorState::kHeldOpen || s == DoorState::kForcedOpen;
}

std::string_view input_name(DoorInput in) {
  switch (in) {
    case DoorInput::kGrant: return "grant";
    case DoorInput::kExitRequest: return "exit_request";
    case DoorInput::kOpened: return "opened";
    case DoorInput::kClosed: return "closed";
    case DoorInput::kReleaseEnded: return "release_ended";
    case DoorInput::kPrealarmDue: return "prealarm_due";
    case DoorInput::kHeldOpenDue: return "held_open_due";
    case DoorInput::kModeChanged: return "mode_changed";
    case DoorInput::kLinkLost: return "link_lost";
    case DoorInput::kLinkRestored: return "link_restored";
  }
  return "invalid";
}

std::string_view mode_name(OperatingMode m) {
  switch (m) {
    case OperatingMode::kNormal: return "normal";
    case OperatingMode::kScheduledUnlock: return "scheduled_unlock";
    case OperatingMode::kMomentaryUnlock: return "momentary_unlock";
    case OperatingMode::kLocked: return "locked";
    case OperatingMode::kLockdown: return "lockdown";
  }
  return "invalid";
}

std::string_view alarm_kind_name(AlarmKind k) {
  switch (k) {
    case AlarmKind::kForcedOpen: return "forced_open";
    case AlarmKind::kHeldOpen: return "held_open";
    case AlarmKind::kLockFault: return "lock_fault";
    case AlarmKind::kModuleOffline: return "module_offline";
  }
  return "invalid";
}

std::string_view event_kind_name(EventKind k) {
  switch (k) {
    case EventKind::kContactOpened: return "contact_opened";
    case EventKind::kContactClosed: return "contact_closed";
    case EventKind::kExitRequest: return "exit_request";
    case EventKind::kUnlockTimeExpired: return "unlock_time_expired";
    case EventKind::kLockUnlocked: return "lock_unlocked";
    case EventKind::kLockLocked: return "lock_locked";
    case EventKind::kDoorForcedOpen: return "door_forced_open";
    case EventKind::kDoorHeldOpenPrealarm: return "door_held_open_prealarm";
    case EventKind::kDoorHeldOpen: return "door_held_open";
    case EventKind::kDoorClosedAfterAlarm: return "door_closed_after_alarm";
    case EventKind::kDoorFoundOpen: return "door_found_open";
    case EventKind::kLockFault: return "lock_fault";
    case EventKind::kLockFaultCleared: return "lock_fault_cleared";
    case EventKind::kModuleOffline: return "module_offline";
    case EventKind::kModuleOnline: return "module_online";
    case EventKind::kModeChanged: return "mode_changed";
    case EventKind::kModeChangeRefused: return "mode_change_refused";
  }
  return "invalid";
}

std::string_view lock_command_name(LockCommand c) {
  switch (c) {
    case LockCommand::kNone: return "none";
    case LockCommand::kUnlock: return "unlock";
    case LockCommand::kLock: return "lock";
  }
  return "invalid";
}

bool coil_value_for(bool unlocked, site::FailMode fail) {
  return fail == site::FailMode::kSecure ? unlocked : !unlocked;
}

// ---- the transition table (docs/doors.md, "Transitions") ----

DoorState next_state(DoorState s, DoorInput in, const TransitionFacts& f) {
  using S = DoorState;
  using I = DoorInput;
  // Where a closed door rests: the mode first, then a release, else locked.
  const S closed = f.free ? S::kUnlocked : f.release ? S::kReleased : S::kLocked;
  if (in == I::kLinkLost) return S::kUnknown;
  switch (s) {
    case S::kUnknown:
      if (in != I::kLinkRestored) return s;
      if (!f.contact_open) return closed;
      return f.forced_condition ? S::kForcedOpen : f.held_condition ? S::kHeldOpen : S::kOpen;
    case S::kLocked:
    case S::kReleased:
    case S::kUnlocked:
      switch (in) {
        case I::kOpened: return s == S::kLocked ? S::kForcedOpen : S::kOpen;
        case I::kGrant:
        case I::kExitRequest:
        case I::kReleaseEnded:
        case I::kModeChanged: return closed;
        default: return s;
      }
    case S::kOpen:
      if (in == I::kClosed) return closed;
      if (in == I::kPrealarmDue) return S::kHeldOpenPrealarm;
      return s;
    case S::kHeldOpenPrealarm:
      if (in == I::kClosed) return closed;
      if (in == I::kHeldOpenDue) return S::kHeldOpen;
      if (in == I::kModeChanged && f.free) return S::kOpen;
      return s;
    case S::kHeldOpen:
    case S::kForcedOpen:
      if (in == I::kClosed) return closed;
      return s;
  }
  return s;
}

// ---- the machine ----

DoorMachine::DoorMachine(const site::Door& door)
    : door_id_(door.id),
      unlock_us_(std::int64_t{door.unlock_seconds} * kUsPerSecond),
      held_us_(std::int64_t{door.held_open_seconds} * kUsPerSecond),
      prealarm_us_(std::max(held_us_ - std::int64_t{kPrealarmLead.count()}, held_us_ / 2)),
      fail_(door.lock.fail) {
  auto module = [this](const std::string& id) -> Module& {
    for (Module& m : modules_) {
      if (m.id == id) return m;
    }
    modules_.push_back(Module{id, false, false, std::nullopt});
    return modules_.back();
  };
  module(door.lock.io).drives_lock = true;
  if (door.contact) {
    contact_io_ = door.contact->io;
    module(door.contact->io).reads_contact = true;
  }
  if (door.exit_button) module(door.exit_button->io);
}

MonoTime DoorMachine::clamp(MonoTime now) {
  if (now < last_now_) return last_now_;
  last_now_ = now;
  return now;
}

OperatingMode DoorMachine::mode() const {
  if (lockdown_) return OperatingMode::kLockdown;
  if (momentary_until_) return OperatingMode::kMomentaryUnlock;
  if (locked_mode_) return OperatingMode::kLocked;
  if (schedule_open_) return OperatingMode::kScheduledUnlock;
  return OperatingMode::kNormal;
}

bool DoorMachine::free_mode() const {
  OperatingMode m = mode();
  return m == OperatingMode::kScheduledUnlock || m == OperatingMode::kMomentaryUnlock;
}

bool DoorMachine::lock_module_online() const {
  for (const Module& m : modules_) {
    if (m.drives_lock) return m.online == true;
  }
  return false;
}

bool DoorMachine::readable() const {
  for (const Module& m : modules_) {
    if ((m.drives_lock || m.reads_contact) && m.online != true) return false;
  }
  return !contact_io_ || contact_open_.has_value();
}

bool DoorMachine::uses_module(std::string_view module_id) const {
  return std::any_of(modules_.begin(), modules_.end(),
                     [module_id](const Module& m) { return m.id == module_id; });
}

TransitionFacts DoorMachine::facts() const {
  TransitionFacts f;
  f.free = free_mode();
  f.release = release_;
  f.contact_open = contact_open_.value_or(false);
  f.forced_condition = condition_present(AlarmKind::kForcedOpen);
  f.held_condition = condition_present(AlarmKind::kHeldOpen);
  return f;
}

std::optional<MonoTime> DoorMachine::timer_deadline(Timer t) const {
  switch (t) {
    case Timer::kRelease:
      // Once the door has opened the release lasts until it closes; while the
      // door is unknown it lasts its unlock time.
      if (release_ && !is_open_state(state_)) return release_until_;
      return std::nullopt;
    case Timer::kPrealarm:
      if (state_ == DoorState::kOpen && held_from_) return MonoTime{held_from_->us + prealarm_us_};
      return std::nullopt;
    case Timer::kHeldOpen:
      if (state_ == DoorState::kHeldOpenPrealarm && held_from_) {
        return MonoTime{held_from_->us + held_us_};
      }
      return std::nullopt;
    case Timer::kMomentary: return momentary_until_;
    case Timer::kLockRetry: return lock_retry_at_;
  }
  return std::nullopt;
}

std::optional<MonoTime> DoorMachine::next_deadline() const {
  std::optional<MonoTime> best;
  for (Timer t : {Timer::kRelease, Timer::kPrealarm, Timer::kHeldOpen, Timer::kMomentary,
                  Timer::kLockRetry}) {
    std::optional<MonoTime> d = timer_deadline(t);
    if (d && (!best || *d < *best)) best = d;
  }
  return best;
}

void DoorMachine::run_timers(MonoTime now, Actions& out) {
  // Each firing removes or moves its own deadline past `now`, so this ends; the
  // bound only guards against a bug turning into a hang on the reactor.
  for (int i = 0; i < 64; ++i) {
    std::optional<MonoTime> best;
    Timer which = Timer::kRelease;
    for (Timer t : {Timer::kRelease, Timer::kPrealarm, Timer::kHeldOpen, Timer::kMomentary,
                    Timer::kLockRetry}) {
      std::optional<MonoTime> d = timer_deadline(t);
      if (d && *d <= now && (!best || *d < *best)) {
        best = d;
        which = t;
      }
    }
    if (!best) return;
    fire(which, *best, out);
  }
}

void DoorMachine::fire(Timer t, MonoTime at, Actions& out) {
  switch (t) {
    case Timer::kRelease:
      release_ = false;
      event(EventKind::kUnlockTimeExpired, at, out,
            state_ == DoorState::kUnknown ? "door position unknown" : "door never opened");
      apply(DoorInput::kReleaseEnded, at, out);
      return;
    case Timer::kPrealarm: apply(DoorInput::kPrealarmDue, at, out); return;
    case Timer::kHeldOpen: apply(DoorInput::kHeldOpenDue, at, out); return;
    case Timer::kMomentary: {
      OperatingMode before = mode();
      momentary_until_.reset();
      mode_input_changed(before, momentary_operator_, "momentary unlock ended", at, out);
      return;
    }
    case Timer::kLockRetry:
      lock_retry_at_.reset();
      recommand_ = true;
      return;
  }
}

void DoorMachine::apply(DoorInput in, MonoTime at, Actions& out) {
  DoorState from = state_;
  state_ = next_state(from, in, facts());
  on_enter(from, state_, in, at, out);
}

void DoorMachine::on_enter(DoorState from, DoorState to, DoorInput in, MonoTime at,
                           Actions& out) {
  using S = DoorState;
  const bool free = free_mode();
  switch (to) {
    case S::kUnknown:
      held_from_.reset();
      // A passage in progress ends with the link: nobody can see it finish.
      if (is_open_state(from)) release_ = false;
      return;
    case S::kLocked:
    case S::kReleased:
    case S::kUnlocked: {
      held_from_.reset();
      const bool forced = condition_present(AlarmKind::kForcedOpen);
      const bool held = condition_present(AlarmKind::kHeldOpen);
      if (!forced && !held) return;
      event(EventKind::kDoorClosedAfterAlarm, at, out,
            forced && held ? "forced_open, held_open" : forced ? "forced_open" : "held_open");
      if (forced) clear(AlarmKind::kForcedOpen, at, "door closed", out);
      if (held) clear(AlarmKind::kHeldOpen, at, "door closed", out);
      return;
    }
    case S::kOpen:
      if (is_closed_state(from)) {
        // A passage: the lock stays released until the door closes, whatever
        // the mode does meanwhile.
        release_ = true;
        held_from_ = free ? std::nullopt : std::optional<MonoTime>(at);
      } else if (from == S::kUnknown) {
        event(EventKind::kDoorFoundOpen, at, out, "first reading after reconnect");
        held_from_ = free ? std::nullopt : std::optional<MonoTime>(at);
      } else if (free) {
        held_from_.reset();  // a free mode stops the held-open clock
      } else if (!held_from_) {
        held_from_ = at;  // the free mode ended with the door open: the clock starts now
      }
      return;
    case S::kHeldOpenPrealarm:
      if (from == S::kOpen) {
        event(EventKind::kDoorHeldOpenPrealarm, at, out,
              "open " + std::to_string(prealarm_us_ / 1000) + " ms");
      }
      return;
    case S::kHeldOpen:
      if (from == S::kHeldOpenPrealarm && in == DoorInput::kHeldOpenDue) {
        event(EventKind::kDoorHeldOpen, at, out, "open " + std::to_string(held_us_ / 1000) + " ms");
        raise(AlarmKind::kHeldOpen, at, "door open longer than held_open_seconds", out);
      }
      return;
    case S::kForcedOpen:
      if (from == S::kLocked) {
        event(EventKind::kDoorForcedOpen, at, out, "opened with no grant or exit request");
        raise(AlarmKind::kForcedOpen, at, "door opened with no grant or exit request", out);
      }
      return;
  }
}

void DoorMachine::raise(AlarmKind k, MonoTime at, std::string detail, Actions& out) {
  if (conditions_[static_cast<int>(k)]) return;
  conditions_[static_cast<int>(k)] = true;
  out.alarms.push_back(AlarmChange{k, AlarmChange::Change::kRaised, at, std::move(detail)});
}

void DoorMachine::clear(AlarmKind k, MonoTime at, std::string detail, Actions& out) {
  if (!conditions_[static_cast<int>(k)]) return;
  conditions_[static_cast<int>(k)] = false;
  out.alarms.push_back(
      AlarmChange{k, AlarmChange::Change::kConditionCleared, at, std::move(detail)});
}

void DoorMachine::event(EventKind k, MonoTime at, Actions& out, std::string detail,
                        std::string operator_name) {
  out.events.push_back(DoorEvent{k, at, std::move(operator_name), std::move(detail)});
}

void DoorMachine::reconcile_lock(Actions& out) {
  const bool recommand = recommand_;
  recommand_ = false;
  if (!lock_module_online()) return;
  const bool want_unlocked = free_mode() || release_;
  if (!recommand && commanded_ == want_unlocked) return;
  out.lock = want_unlocked ? LockCommand::kUnlock : LockCommand::kLock;
  commanded_ = want_unlocked;
  pending_.push_back(want_unlocked);
  while (pending_.size() > kMaxPendingWrites) pending_.pop_front();
}

// ---- inputs ----

void DoorMachine::release(MonoTime now, Actions& out, DoorInput in) {
  if (is_open_state(state_)) return;  // the door relocks when it closes anyway
  release_ = true;
  release_until_ = MonoTime{now.us + unlock_us_};
  apply(in, now, out);
}

Actions DoorMachine::grant(MonoTime now) {
  Actions out;
  now = clamp(now);
  run_timers(now, out);
  release(now, out, DoorInput::kGrant);
  reconcile_lock(out);
  return out;
}

Actions DoorMachine::exit_request(MonoTime now) {
  Actions out;
  now = clamp(now);
  run_timers(now, out);
  event(EventKind::kExitRequest, now, out);
  release(now, out, DoorInput::kExitRequest);
  reconcile_lock(out);
  return out;
}

Actions DoorMachine::contact(bool open, MonoTime now) {
  Actions out;
  now = clamp(now);
  run_timers(now, out);
  if (contact_io_ && contact_open_ != open) {
    const bool first_reading = !contact_open_.has_value();
    contact_open_ = open;
    if (!first_reading) {
      event(open ? EventKind::kContactOpened : EventKind::kContactClosed, now, out);
    }
    if (state_ == DoorState::kUnknown) {
      // The first reading after a reconnect decides where the door is; a change
      // while something is still offline is only recorded.
      if (readable()) apply(DoorInput::kLinkRestored, now, out);
    } else if (open) {
      apply(DoorInput::kOpened, now, out);
    } else {
      release_ = false;  // closing ends the passage
      apply(DoorInput::kClosed, now, out);
    }
  }
  reconcile_lock(out);
  return out;
}

Actions DoorMachine::tick(MonoTime now) {
  Actions out;
  now = clamp(now);
  run_timers(now, out);
  reconcile_lock(out);
  return out;
}

Actions DoorMachine::module_link(std::string_view module_id, bool online, std::string_view reason,
                                 MonoTime now) {
  Actions out;
  auto it = std::find_if(modules_.begin(), modules_.end(),
                         [module_id](const Module& m) { return m.id == module_id; });
  if (it == modules_.end()) return out;
  now = clamp(now);
  run_timers(now, out);
  Module& m = *it;
  if (m.online == online) {
    reconcile_lock(out);
    return out;
  }
  m.online = online;
  std::string detail = "module " + m.id;
  if (!reason.empty()) detail += ": " + std::string(reason);
  if (!online) {
    event(EventKind::kModuleOffline, now, out, detail);
    raise(AlarmKind::kModuleOffline, now, detail, out);
    if (m.drives_lock) {
      // Never a guessed "locked": nothing is known of the lock until it answers.
      commanded_.reset();
      confirmed_.reset();
      lock_retry_at_.reset();
    }
    if (m.reads_contact) contact_open_.reset();
    if ((m.drives_lock || m.reads_contact) && state_ != DoorState::kUnknown) {
      apply(DoorInput::kLinkLost, now, out);
    }
  } else {
    event(EventKind::kModuleOnline, now, out, detail);
    const bool any_offline = std::any_of(modules_.begin(), modules_.end(),
                                         [](const Module& x) { return x.online == false; });
    if (!any_offline) clear(AlarmKind::kModuleOffline, now, "every module online", out);
    if (state_ == DoorState::kUnknown && readable()) apply(DoorInput::kLinkRestored, now, out);
    if (m.drives_lock) recommand_ = true;  // whatever the lock did meanwhile, say it again
  }
  reconcile_lock(out);
  return out;
}

Actions DoorMachine::lock_result(const Status& result, MonoTime now) {
  Actions out;
  now = clamp(now);
  run_timers(now, out);
  if (pending_.empty()) {
    reconcile_lock(out);
    return out;
  }
  const bool value = pending_.front();
  pending_.pop_front();
  const bool online = lock_module_online();
  if (result.ok()) {
    if (online) {
      if (confirmed_ != value) {
        event(value ? EventKind::kLockUnlocked : EventKind::kLockLocked, now, out);
      }
      confirmed_ = value;
    }
    if (condition_present(AlarmKind::kLockFault)) {
      event(EventKind::kLockFaultCleared, now, out, "write confirmed by read-back");
      clear(AlarmKind::kLockFault, now, "write confirmed by read-back", out);
    }
    if (pending_.empty()) lock_retry_at_.reset();
  } else {
    confirmed_.reset();
    const ErrorKind kind = result.error().kind;
    bool retry = true;
    if (kind != ErrorKind::kUnavailable) {
      retry = kind != ErrorKind::kInvalidInput && kind != ErrorKind::kNotFound;
      if (!condition_present(AlarmKind::kLockFault)) {
        std::string detail = std::string(value ? "unlock" : "lock") +
                             " not confirmed: " + result.error().to_string();
        event(EventKind::kLockFault, now, out, detail);
        raise(AlarmKind::kLockFault, now, detail, out);
      }
    }
    // Only the newest write is worth repeating; one still in flight will answer.
    if (retry && online && pending_.empty()) {
      lock_retry_at_ = MonoTime{now.us + std::int64_t{kLockRetry.count()}};
    }
  }
  reconcile_lock(out);
  return out;
}

// ---- modes ----

void DoorMachine::mode_input_changed(OperatingMode before, std::string_view operator_name,
                                     std::string detail, MonoTime at, Actions& out) {
  const OperatingMode after = mode();
  detail += ": ";
  detail += mode_name(before);
  detail += " -> ";
  detail += mode_name(after);
  event(EventKind::kModeChanged, at, out, std::move(detail), std::string(operator_name));
  apply(DoorInput::kModeChanged, at, out);
}

void DoorMachine::cancel_unused_release() {
  if (!is_open_state(state_)) release_ = false;
}

Actions DoorMachine::set_schedule_open(bool open, MonoTime now) {
  Actions out;
  now = clamp(now);
  run_timers(now, out);
  if (schedule_open_ != open) {
    const OperatingMode before = mode();
    schedule_open_ = open;
    mode_input_changed(before, "schedule", open ? "schedule opened" : "schedule closed", now, out);
  }
  reconcile_lock(out);
  return out;
}

Actions DoorMachine::momentary_unlock(std::chrono::seconds duration,
                                      std::string_view operator_name, MonoTime now) {
  Actions out;
  now = clamp(now);
  run_timers(now, out);
  if (lockdown_) {
    event(EventKind::kModeChangeRefused, now, out, "momentary unlock refused: lockdown in force",
          std::string(operator_name));
  } else if (duration.count() <= 0) {
    event(EventKind::kModeChangeRefused, now, out,
          "momentary unlock refused: duration must be positive", std::string(operator_name));
  } else {
    const OperatingMode before = mode();
    momentary_until_ = MonoTime{now.us + duration.count() * kUsPerSecond};
    momentary_operator_ = std::string(operator_name);
    mode_input_changed(before, operator_name,
                       "momentary unlock for " + std::to_string(duration.count()) + " s", now, out);
  }
  reconcile_lock(out);
  return out;
}

Actions DoorMachine::set_locked(std::string allowed_group, std::string_view operator_name,
                                MonoTime now) {
  Actions out;
  now = clamp(now);
  run_timers(now, out);
  if (!locked_mode_ || allowed_group_ != allowed_group || momentary_until_) {
    const OperatingMode before = mode();
    locked_mode_ = true;
    allowed_group_ = std::move(allowed_group);
    momentary_until_.reset();
    cancel_unused_release();
    mode_input_changed(before, operator_name,
                       "locked, allowed group: " +
                           (allowed_group_.empty() ? std::string("nobody") : allowed_group_),
                       now, out);
  }
  reconcile_lock(out);
  return out;
}

Actions DoorMachine::set_normal(std::string_view operator_name, MonoTime now) {
  Actions out;
  now = clamp(now);
  run_timers(now, out);
  if (locked_mode_ || momentary_until_) {
    const OperatingMode before = mode();
    locked_mode_ = false;
    allowed_group_.clear();
    momentary_until_.reset();
    mode_input_changed(before, operator_name, "normal", now, out);
  }
  reconcile_lock(out);
  return out;
}

Actions DoorMachine::set_lockdown(bool active, std::string_view operator_name, MonoTime now) {
  Actions out;
  now = clamp(now);
  run_timers(now, out);
  if (lockdown_ != active) {
    const OperatingMode before = mode();
    lockdown_ = active;
    if (active) {
      momentary_until_.reset();
      cancel_unused_release();
    }
    mode_input_changed(before, operator_name, active ? "lockdown started" : "lockdown lifted", now,
                       out);
  }
  reconcile_lock(out);
  return out;
}

bool DoorMachine::grant_allowed(const std::vector<std::string>& person_groups) const {
  if (!locked_mode_) return true;
  if (allowed_group_.empty()) return false;
  return std::find(person_groups.begin(), person_groups.end(), allowed_group_) !=
         person_groups.end();
}

DoorStatus DoorMachine::status() const {
  DoorStatus s;
  s.door_id = door_id_;
  s.state = state_;
  s.mode = mode();
  s.allowed_group = allowed_group_;
  s.lock_commanded_unlocked = commanded_;
  s.lock_confirmed_unlocked = confirmed_;
  s.contact_open = contact_open_;
  s.online = std::all_of(modules_.begin(), modules_.end(),
                         [](const Module& m) { return m.online == true; });
  s.fail = fail_;
  s.release_in_force = release_;
  for (AlarmKind k : kAllAlarmKinds) {
    if (condition_present(k)) s.conditions.push_back(k);
  }
  return s;
}

}  // namespace gatehouse::controller::doors
