// The doors of a running controller, on the reactor: one DoorMachine per door,
// an InputFilter per contact and exit button, the lock commands sent to the I/O
// (Modbus buses on their own threads), and every event and alarm condition
// handed to the EventWriter. Docs: docs/doors.md.
//
// Thread safety: every method runs on the reactor. The I/O calls back on its
// own threads; those callbacks only post here (see io_callbacks()).
// Lifetime: stop the I/O before destroying the service.
#pragma once

#include <boost/asio/io_context.hpp>
#include <boost/asio/steady_timer.hpp>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "base/clock.h"
#include "controller/access_service.h"
#include "controller/doors/door_machine.h"
#include "controller/doors/input_filter.h"
#include "controller/doors/io.h"
#include "controller/schedule.h"
#include "site/site.h"

namespace gatehouse::controller {

class EventWriter;

class DoorService {
 public:
  DoorService(boost::asio::io_context& ioc, const site::Site& site, EventWriter* events,
              const Clock& clock = SystemClock::instance());
  ~DoorService();
  DoorService(const DoorService&) = delete;
  DoorService& operator=(const DoorService&) = delete;

  // The I/O the lock commands go to (not owned; set before start()).
  void set_io(doors::CoilWriter* io) { io_ = io; }
  // Callbacks for the I/O that post to this service on the reactor.
  doors::IoCallbacks io_callbacks();
  void start();

  void on_inputs(const std::string& module_id, const std::vector<bool>& inputs, MonoTime at);
  void on_link(const std::string& module_id, bool online, const std::string& reason, MonoTime at);
  // A granted decision at this door.
  void grant(const std::string& door_id);
  // Door modes and lockdown, as the database reports them.
  void apply(const AccessChange& change);

  std::vector<doors::DoorStatus> status() const;
  std::int64_t suppressed_bounces() const;

 private:
  struct Door {
    site::Door config;
    doors::DoorMachine machine;
    std::optional<doors::InputFilter> contact;
    std::optional<doors::InputFilter> exit_button;
    std::optional<CompiledSchedule> unlocked_during;
  };

  void act(Door& door, doors::Actions actions);
  void check_schedules();
  void arm_deadline_timer();
  void on_deadline();

  boost::asio::io_context& ioc_;
  EventWriter* events_;
  const Clock& clock_;
  doors::CoilWriter* io_ = nullptr;
  std::string time_zone_;
  std::optional<LocalTimeCache> local_time_;
  std::vector<std::unique_ptr<Door>> doors_;
  std::map<std::string, Door*, std::less<>> by_id_;
  std::map<std::string, bool, std::less<>> module_seen_online_;
  boost::asio::steady_timer deadline_timer_;
  boost::asio::steady_timer schedule_timer_;
  // Cleared on destruction, so a lock result posted by an I/O thread after the
  // service is gone is dropped instead of touching freed memory.
  std::shared_ptr<bool> alive_ = std::make_shared<bool>(true);
};

}  // namespace gatehouse::controller
