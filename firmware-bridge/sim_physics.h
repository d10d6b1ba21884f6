// The physics of one simulated door: a person who presented a card waits for
// the lock to release and walks through, an exit button pressed from inside,
// a door forced or held open. Pure logic: every input carries its MonoTime,
// no clock reads, no I/O. The lock state is an input to tick() (the caller
// reads it from the Modbus coil); the outputs are open() and button_pressed(),
// which the caller writes to the module's discrete inputs.
//
// States (DoorPhase) and their transitions are all in sim_physics.cpp's
// advance(); docs/simulator.md has the table. One thread at a time.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "base/clock.h"
#include "base/result.h"

namespace gatehouse::bridge {

// docs/simulator.md, "Physics": the timings a person at the door keeps.
struct PhysicsTimings {
  std::int64_t wait_for_unlock_us = 1'500'000;  // a person who badged waits this long for the lock
  std::int64_t open_delay_us = 700'000;         // from seeing the lock released to the door opening
  std::int64_t exit_press_us = 300'000;         // the exit button is held this long
  std::int64_t exit_open_delay_us = 300'000;    // from the lock released (after the press) to opening
  std::int64_t walk_through_us = 2'500'000;     // open, then closed behind them
  std::int64_t force_open_us = 3'000'000;       // a forced door stands open this long
};

enum class DoorPhase {
  kClosed,            // nobody at the door
  kWaitingForUnlock,  // a person badged (or pressed exit) and waits for the lock to release
  kButtonPressed,     // the exit button is held down
  kOpening,           // the lock released: the person is pulling the door
  kOpen,              // open; closes at the deadline
};
std::string_view phase_name(DoorPhase phase);

// Who is at the door.
enum class Visitor { kNone, kCard, kExit, kForce, kHold };

class DoorPhysics {
 public:
  explicit DoorPhysics(PhysicsTimings timings = {}) : t_(timings) {}

  // A card was presented at the door's reader: a person waits for the lock.
  // kConflict when the door is not closed and idle (the card still reaches the
  // reader; nobody new waits).
  Status present(MonoTime now);
  // Presses the exit button (kConflict unless closed and idle).
  Status exit(MonoTime now);
  // Opens the door whatever the lock does, for force_open_us (kConflict when open).
  Status force(MonoTime now);
  // Opens the door (or keeps it open) until now + duration.
  Status hold(MonoTime now, std::int64_t duration_us);

  // Runs every transition due by `now` with the lock as it is now. Returns one
  // line per change, for the log ("door opened", ...).
  std::vector<std::string> tick(MonoTime now, bool lock_unlocked);

  DoorPhase phase() const { return phase_; }
  Visitor visitor() const { return visitor_; }
  bool open() const { return phase_ == DoorPhase::kOpen; }
  bool button_pressed() const { return phase_ == DoorPhase::kButtonPressed; }
  MonoTime deadline() const { return deadline_; }

 private:
  bool idle() const { return phase_ == DoorPhase::kClosed && !open_now_; }

  PhysicsTimings t_;
  DoorPhase phase_ = DoorPhase::kClosed;
  Visitor visitor_ = Visitor::kNone;
  MonoTime deadline_{};
  // Set by force/hold: open at the next tick, whatever the lock does.
  bool open_now_ = false;
  std::int64_t open_for_us_ = 0;
};

}  // namespace gatehouse::bridge
