// The door state machine: one per door, pure logic. It is told what happened
// (a grant, an exit request, the contact, the module links, the read-back of its
// lock writes, mode changes, the passing of time) and answers with Actions: the
// lock command to send, the events to record, the alarm changes to raise or
// mark cleared. The states, the transition table, the timers, the modes and
// their precedence are documented in docs/doors.md; next_state() below is that
// table, and the only place a state changes.
//
// What the caller (the serve wiring) does with it:
//   - feeds contact and exit-button bits through an InputFilter per point
//     (input_filter.h) and calls contact() / exit_request() with the reported
//     changes (exit requests before contact changes of the same poll, so a
//     push-to-exit that opens the door in the same poll is not "forced");
//   - calls module_link() for every module link report (the machine ignores
//     modules its door does not use), and reset()s that module's filters when
//     it goes offline, so its first reading afterwards is reported;
//   - sends Actions::lock to the lock's coil as coil_value_for(unlock, fail) and
//     calls lock_result() once per command sent, in the order sent;
//   - calls tick() at next_deadline() (and may call it more often);
//   - asks grant_allowed() before grant() (the door's own "locked" mode; the
//     decision engine has already applied the site-wide lockdown group);
//   - keeps alarms open until an operator acknowledges them: the machine only
//     raises them and reports when their condition cleared (condition_present()).
//
// Time: every input carries the caller's MonoTime; the machine has no clock, no
// I/O and never sleeps. Times must not go backwards between calls (a `now`
// earlier than a previous one is treated as that previous time).
// Thread safety: none; one machine per door, used on the reactor.
#pragma once

#include <array>
#include <chrono>
#include <cstdint>
#include <deque>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "base/clock.h"
#include "base/result.h"
#include "site/site.h"

namespace gatehouse::controller::doors {

// Where the door is. Orthogonal to it: the operating mode, the lock fault and
// module offline conditions, and whether a passage release is in force.
enum class DoorState : std::uint8_t {
  kUnknown,           // a module of the lock or contact is offline, or not read yet
  kLocked,            // closed, lock commanded locked
  kReleased,          // closed, released for one passage (grant or exit) until the unlock time ends
  kUnlocked,          // closed, unlocked by the mode (scheduled or momentary unlock)
  kOpen,              // open, allowed (a passage, a free mode, or found open on reconnect)
  kHeldOpenPrealarm,  // open, past the pre-alarm time
  kHeldOpen,          // open past held_open_seconds: alarm held_open
  kForcedOpen,        // opened while locked with no release in force: alarm forced_open
};
inline constexpr std::array<DoorState, 8> kAllDoorStates = {
    DoorState::kUnknown, DoorState::kLocked,           DoorState::kReleased,
    DoorState::kUnlocked, DoorState::kOpen,            DoorState::kHeldOpenPrealarm,
    DoorState::kHeldOpen, DoorState::kForcedOpen};
std::string_view state_name(DoorState s);  // "unknown", "locked", "released", ...
bool is_open_state(DoorState s);           // open, held_open_prealarm, held_open, forced_open

// The inputs of the transition table, after the machine has updated its facts.
enum class DoorInput : std::uint8_t {
  kGrant,          // grant() on a closed door
  kExitRequest,    // exit_request() on a closed door
  kOpened,         // the contact opened
  kClosed,         // the contact closed
  kReleaseEnded,   // the unlock time of an unused release ended
  kPrealarmDue,    // the pre-alarm time of an open door passed
  kHeldOpenDue,    // held_open_seconds of an open door passed
  kModeChanged,    // the operating mode (or one of its inputs) changed
  kLinkLost,       // a lock or contact module went offline
  kLinkRestored,   // every module online again, and the contact read
};
inline constexpr std::array<DoorInput, 10> kAllDoorInputs = {
    DoorInput::kGrant,        DoorInput::kExitRequest, DoorInput::kOpened,
    DoorInput::kClosed,       DoorInput::kReleaseEnded, DoorInput::kPrealarmDue,
    DoorInput::kHeldOpenDue,  DoorInput::kModeChanged, DoorInput::kLinkLost,
    DoorInput::kLinkRestored};
std::string_view input_name(DoorInput in);  // "grant", "exit_request", "opened", ...

// What the table reads besides the state and the input.
struct TransitionFacts {
  bool free = false;              // the mode unlocks the door (scheduled or momentary unlock)
  bool release = false;           // a passage release is in force
  bool contact_open = false;      // the contact reads open (for kLinkRestored)
  bool forced_condition = false;  // the forced_open condition is present
  bool held_condition = false;    // the held_open condition is present
};

// The transition table of docs/doors.md: the only place a door changes state.
DoorState next_state(DoorState s, DoorInput in, const TransitionFacts& f);

// Precedence, highest first: lockdown, momentary unlock, locked, scheduled
// unlock, normal (docs/doors.md, "Modes").
enum class OperatingMode : std::uint8_t {
  kNormal,
  kScheduledUnlock,
  kMomentaryUnlock,
  kLocked,
  kLockdown,
};
std::string_view mode_name(OperatingMode m);  // "normal", "scheduled_unlock", ...

enum class AlarmKind : std::uint8_t { kForcedOpen, kHeldOpen, kLockFault, kModuleOffline };
inline constexpr std::array<AlarmKind, 4> kAllAlarmKinds = {
    AlarmKind::kForcedOpen, AlarmKind::kHeldOpen, AlarmKind::kLockFault,
    AlarmKind::kModuleOffline};
std::string_view alarm_kind_name(AlarmKind k);  // "forced_open", "held_open", ...

enum class EventKind : std::uint8_t {
  kContactOpened,
  kContactClosed,
  kExitRequest,
  kUnlockTimeExpired,  // a release ended with the door never opened
  kLockUnlocked,       // the module confirmed the lock released
  kLockLocked,         // the module confirmed the lock locked
  kDoorForcedOpen,
  kDoorHeldOpenPrealarm,
  kDoorHeldOpen,
  kDoorClosedAfterAlarm,  // closed while forced_open or held_open was present
  kDoorFoundOpen,         // open at the first reading after a reconnect: not forced
  kLockFault,
  kLockFaultCleared,
  kModuleOffline,
  kModuleOnline,
  kModeChanged,        // names its operator
  kModeChangeRefused,  // names its operator; detail says why
};
std::string_view event_kind_name(EventKind k);  // "contact_opened", ...

enum class LockCommand : std::uint8_t { kNone, kUnlock, kLock };
std::string_view lock_command_name(LockCommand c);  // "none", "unlock", "lock"

struct DoorEvent {
  EventKind kind = EventKind::kContactOpened;
  MonoTime at;
  std::string operator_name;  // who caused a mode change; empty for door events
  std::string detail;         // words for the log: modes before and after, module, error
};

struct AlarmChange {
  enum class Change : std::uint8_t {
    kRaised,            // the condition started: open an alarm
    kConditionCleared,  // the condition ended: the alarm stays open until acknowledged
  };
  AlarmKind kind = AlarmKind::kForcedOpen;
  Change change = Change::kRaised;
  MonoTime at;
  std::string detail;
};

struct Actions {
  LockCommand lock = LockCommand::kNone;  // at most one command per input
  std::vector<DoorEvent> events;          // in the order they happened
  std::vector<AlarmChange> alarms;
  bool empty() const { return lock == LockCommand::kNone && events.empty() && alarms.empty(); }
};

// The coil value that puts the lock in the wanted state. A fail-secure lock (an
// electric strike) is energised to unlock; a fail-safe lock (a maglock) is
// energised to lock.
bool coil_value_for(bool unlocked, site::FailMode fail);

struct DoorStatus {
  std::string door_id;
  DoorState state = DoorState::kUnknown;
  OperatingMode mode = OperatingMode::kNormal;
  std::string allowed_group;  // the door's locked mode: who may pass; empty = nobody
  // What was last sent to the lock (true = unlock); nullopt when nothing has been
  // sent since the lock's module (re)connected, or while it is offline.
  std::optional<bool> lock_commanded_unlocked;
  // What the module last read back (true = unlocked); nullopt while unknown:
  // offline, or the last write was not confirmed. Never a guess.
  std::optional<bool> lock_confirmed_unlocked;
  std::optional<bool> contact_open;  // nullopt without a contact, or while unknown
  bool online = false;               // every module of the door answers
  site::FailMode fail = site::FailMode::kSecure;  // what the lock does unpowered
  bool release_in_force = false;
  std::vector<AlarmKind> conditions;  // present now, in kAllAlarmKinds order
};

// Retry period of a lock write that was not confirmed while the module is online.
inline constexpr std::chrono::microseconds kLockRetry = std::chrono::seconds(2);
// The pre-alarm comes this long before held_open_seconds, or at half of it if
// that is later (docs/doors.md, "Timers").
inline constexpr std::chrono::microseconds kPrealarmLead = std::chrono::seconds(5);

class DoorMachine {
 public:
  // Copies what it needs from the door: ids of its modules and points,
  // unlock_seconds, held_open_seconds, the lock's fail mode. Starts in unknown,
  // mode normal, every module not yet heard from.
  explicit DoorMachine(const site::Door& door);

  // An access decision granted at this door: release for unlock_seconds. On an
  // open door it changes nothing (the door relocks when it closes).
  Actions grant(MonoTime now);
  // The exit button was pressed (filtered): as a grant, in every mode, plus an
  // exit_request event. A door that then opens is not forced.
  Actions exit_request(MonoTime now);
  // The contact's filtered value (true = open). Repeated values are ignored.
  Actions contact(bool open, MonoTime now);
  // Runs every timer due by now (releases, pre-alarm, held open, momentary
  // unlock end, lock write retry), in the order they fell due.
  Actions tick(MonoTime now);
  // A module link report. Modules this door does not use give empty Actions.
  Actions module_link(std::string_view module_id, bool online, std::string_view reason,
                      MonoTime now);
  // The result of the oldest lock command not yet answered: ok = confirmed;
  // kConflict (read-back differs), kIo, kInternal = lock fault (retried every
  // kLockRetry); kInvalidInput, kNotFound = lock fault from the configuration
  // (not retried); kUnavailable = not reached (retried while the link is up; the
  // link reports offline separately). A result with no command outstanding is
  // ignored.
  Actions lock_result(const Status& result, MonoTime now);

  // Mode inputs. Each change of an input is a mode_changed event naming the
  // operator and the effective mode before and after; an unchanged input is
  // ignored. The schedule's operator is "schedule".
  Actions set_schedule_open(bool open, MonoTime now);
  // Unlock for `duration`, then back to the mode underneath. Refused (a
  // mode_change_refused event, nothing else) in lockdown or for duration <= 0.
  Actions momentary_unlock(std::chrono::seconds duration, std::string_view operator_name,
                           MonoTime now);
  // The door's locked mode: grants refused except for allowed_group (empty =
  // nobody); schedules do not unlock it; exit requests still release it. Ends a
  // momentary unlock and an unused release.
  Actions set_locked(std::string allowed_group, std::string_view operator_name, MonoTime now);
  // Back to normal: ends the locked mode and a momentary unlock.
  Actions set_normal(std::string_view operator_name, MonoTime now);
  // Site-wide lockdown: overrides schedules and ends a momentary unlock and an
  // unused release; the door relocks at once, or when it closes if it is open.
  // Grants (the engine lets only the lockdown group through) and exit requests
  // still release it.
  Actions set_lockdown(bool active, std::string_view operator_name, MonoTime now);

  // The door's locked mode admits only its allowed group; every other mode
  // admits anyone the decision engine granted.
  bool grant_allowed(const std::vector<std::string>& person_groups) const;

  // The earliest time at which tick() has something to do; nullopt if nothing.
  std::optional<MonoTime> next_deadline() const;

  DoorStatus status() const;
  DoorState state() const { return state_; }
  OperatingMode mode() const;
  bool condition_present(AlarmKind k) const { return conditions_[static_cast<int>(k)]; }
  const std::string& door_id() const { return door_id_; }
  bool uses_module(std::string_view module_id) const;

 private:
  struct Module {
    std::string id;
    bool drives_lock = false;
    bool reads_contact = false;
    std::optional<bool> online;  // nullopt: not heard from yet
  };
  enum class Timer : std::uint8_t { kRelease, kPrealarm, kHeldOpen, kMomentary, kLockRetry };

  MonoTime clamp(MonoTime now);
  bool free_mode() const;
  bool lock_module_online() const;
  bool readable() const;  // lock and contact modules online and the contact read
  TransitionFacts facts() const;
  std::optional<MonoTime> timer_deadline(Timer t) const;
  void run_timers(MonoTime now, Actions& out);
  void fire(Timer t, MonoTime at, Actions& out);
  void apply(DoorInput in, MonoTime at, Actions& out);
  void on_enter(DoorState from, DoorState to, DoorInput in, MonoTime at, Actions& out);
  void release(MonoTime now, Actions& out, DoorInput in);
  void cancel_unused_release();
  void mode_input_changed(OperatingMode before, std::string_view operator_name,
                          std::string detail, MonoTime at, Actions& out);
  void raise(AlarmKind k, MonoTime at, std::string detail, Actions& out);
  void clear(AlarmKind k, MonoTime at, std::string detail, Actions& out);
  void event(EventKind k, MonoTime at, Actions& out, std::string detail = {},
             std::string operator_name = {});
  // Sends the lock command the state wants, if it differs from the last one sent
  // (or always, after a reconnect or a retry timer).
  void reconcile_lock(Actions& out);

  // From the site.
  std::string door_id_;
  std::optional<std::string> contact_io_;
  std::int64_t unlock_us_;
  std::int64_t held_us_;
  std::int64_t prealarm_us_;
  site::FailMode fail_;
  std::vector<Module> modules_;

  // Where the door is.
  DoorState state_ = DoorState::kUnknown;
  std::optional<bool> contact_open_;
  bool release_ = false;             // a passage release is in force
  MonoTime release_until_;           // its end while the door has not opened
  std::optional<MonoTime> held_from_;  // the held-open clock of an open door

  // Mode inputs.
  bool schedule_open_ = false;
  std::optional<MonoTime> momentary_until_;
  std::string momentary_operator_;
  bool locked_mode_ = false;
  std::string allowed_group_;
  bool lockdown_ = false;

  // The lock.
  std::optional<bool> commanded_;  // true = unlock
  std::optional<bool> confirmed_;
  std::deque<bool> pending_;       // commands sent, not yet answered, oldest first
  std::optional<MonoTime> lock_retry_at_;
  bool recommand_ = false;  // send the wanted command even if it was sent before

  std::array<bool, kAllAlarmKinds.size()> conditions_{};
  MonoTime last_now_;
};

}  // namespace gatehouse::controller::doors
