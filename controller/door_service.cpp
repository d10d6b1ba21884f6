#include "controller/door_service.h"

#include <boost/asio/post.hpp>

#include "base/log.h"
#include "controller/event_writer.h"

namespace gatehouse::controller {
namespace asio = boost::asio;

namespace {


std::string_view alarm_db_kind(doors::AlarmKind kind) { return doors::alarm_kind_name(kind); }

}  // namespace

DoorService::DoorService(asio::io_context& ioc, const site::Site& site, EventWriter* events,
                         const Clock& clock)
    : ioc_(ioc),
      events_(events),
      clock_(clock),
      time_zone_(site.timezone),
      deadline_timer_(ioc),
      schedule_timer_(ioc) {
  auto local = LocalTimeCache::for_zone(site.timezone);
  if (local.ok()) local_time_.emplace(std::move(local).value());
  for (const site::Door& d : site.doors) {
    auto door = std::make_unique<Door>(Door{d, doors::DoorMachine(d), std::nullopt, std::nullopt,
                                            std::nullopt});
    if (d.contact) door->contact.emplace(d.contact->normally);
    if (d.exit_button) door->exit_button.emplace(d.exit_button->normally);
    if (!d.unlocked_during.empty()) {
      for (const auto& s : site.schedules) {
        if (s.id == d.unlocked_during) door->unlocked_during.emplace(s);
      }
    }
    by_id_[d.id] = door.get();
    doors_.push_back(std::move(door));
  }
}

DoorService::~DoorService() {
  *alive_ = false;
  deadline_timer_.cancel();
  schedule_timer_.cancel();
}

doors::IoCallbacks DoorService::io_callbacks() {
  doors::IoCallbacks callbacks;
  std::weak_ptr<bool> alive = alive_;
  callbacks.on_inputs = [this, alive](const std::string& module, const std::vector<bool>& inputs,
                                      MonoTime at) {
    asio::post(ioc_, [this, alive, module, inputs, at] {
      if (auto a = alive.lock(); a && *a) on_inputs(module, inputs, at);
    });
  };
  callbacks.on_link = [this, alive](const std::string& module, bool online,
                                    const std::string& reason, MonoTime at) {
    asio::post(ioc_, [this, alive, module, online, reason, at] {
      if (auto a = alive.lock(); a && *a) on_link(module, online, reason, at);
    });
  };
  return callbacks;
}

void DoorService::start() {
  check_schedules();
  arm_deadline_timer();
}

void DoorService::act(Door& door, doors::Actions actions) {
  const std::string& id = door.config.id;
  if (actions.lock != doors::LockCommand::kNone && io_ != nullptr) {
    const bool unlock = actions.lock == doors::LockCommand::kUnlock;
    const bool coil = doors::coil_value_for(unlock, door.config.lock.fail);
    std::weak_ptr<bool> alive = alive_;
    io_->write_coil(door.config.lock.io, door.config.lock.coil, coil,
                    [this, alive, id](Status result) {
                      asio::post(ioc_, [this, alive, id, result] {
                        auto a = alive.lock();
                        if (!a || !*a) return;
                        auto it = by_id_.find(id);
                        if (it == by_id_.end()) return;
                        act(*it->second, it->second->machine.lock_result(result, clock_.mono()));
                      });
                    });
  }
  for (const auto& e : actions.events) {
    DoorRecord record;
    record.at = wall_at(clock_, e.at);
    record.door_id = id;
    record.kind = std::string(doors::event_kind_name(e.kind));
    record.detail = e.detail;
    if (!e.operator_name.empty()) record.operator_name = e.operator_name;
    if (events_ != nullptr) events_->submit(std::move(record));
  }
  for (const auto& a : actions.alarms) {
    const bool raised = a.change == doors::AlarmChange::Change::kRaised;
    log(raised ? LogLevel::kWarn : LogLevel::kInfo, "doors",
        raised ? "ALARM raised" : "alarm condition cleared",
        {{"door", id}, {"alarm", std::string(alarm_db_kind(a.kind))}, {"detail", a.detail}});
    DoorRecord record;
    record.op = raised ? DoorRecord::Op::kRaiseAlarm : DoorRecord::Op::kClearAlarm;
    record.at = wall_at(clock_, a.at);
    record.door_id = id;
    record.kind = std::string(alarm_db_kind(a.kind));
    record.detail = a.detail;
    if (events_ != nullptr) events_->submit(std::move(record));
  }
  arm_deadline_timer();
}

void DoorService::on_inputs(const std::string& module_id, const std::vector<bool>& inputs,
                            MonoTime at) {
  // A module's first good poll tells the doors it is there.
  if (!module_seen_online_[module_id]) on_link(module_id, true, "first poll answered", at);
  auto read = [&](const std::optional<site::InputPoint>& point) -> std::optional<bool> {
    if (!point || point->io != module_id) return std::nullopt;
    if (point->input < 0 || static_cast<std::size_t>(point->input) >= inputs.size()) return std::nullopt;
    return inputs[static_cast<std::size_t>(point->input)];
  };
  for (auto& door : doors_) {
    // The exit button before the contact: a push-to-exit that opens the door
    // within one poll is an exit, not a forced door.
    if (auto raw = read(door->config.exit_button); raw && door->exit_button) {
      if (auto change = door->exit_button->sample(*raw, at); change && change->active) {
        act(*door, door->machine.exit_request(at));
      }
    }
    if (auto raw = read(door->config.contact); raw && door->contact) {
      if (auto change = door->contact->sample(*raw, at)) {
        act(*door, door->machine.contact(change->active, at));
      }
    }
  }
}

void DoorService::on_link(const std::string& module_id, bool online, const std::string& reason,
                          MonoTime at) {
  module_seen_online_[module_id] = online;
  log(online ? LogLevel::kInfo : LogLevel::kWarn, "doors",
      online ? "I/O module online" : "I/O module offline", {{"module", module_id}, {"reason", reason}});
  for (auto& door : doors_) {
    const site::Door& c = door->config;
    bool uses = c.lock.io == module_id || (c.contact && c.contact->io == module_id) ||
                (c.exit_button && c.exit_button->io == module_id);
    if (!uses) continue;
    if (!online) {
      // Readings from before the loss say nothing about the door now.
      if (door->contact && c.contact->io == module_id) door->contact->reset();
      if (door->exit_button && c.exit_button->io == module_id) door->exit_button->reset();
    }
    act(*door, door->machine.module_link(module_id, online, reason, at));
  }
}

void DoorService::grant(const std::string& door_id) {
  auto it = by_id_.find(door_id);
  if (it == by_id_.end()) return;
  act(*it->second, it->second->machine.grant(clock_.mono()));
}

void DoorService::apply(const AccessChange& change) {
  const MonoTime now = clock_.mono();
  if (change.kind == AccessChange::Kind::kLockdown) {
    for (auto& door : doors_) {
      // A reload repeats the lockdown as it stands: act only on a change.
      bool in_lockdown = door->machine.mode() == doors::OperatingMode::kLockdown;
      if (in_lockdown == change.lockdown.active) continue;
      act(*door, door->machine.set_lockdown(change.lockdown.active, change.lockdown.operator_name, now));
    }
    return;
  }
  if (change.kind != AccessChange::Kind::kDoorMode) return;
  auto it = by_id_.find(change.door_id);
  if (it == by_id_.end()) return;
  Door& door = *it->second;
  const auto& mode = change.door_mode;
  const std::string who = mode ? mode->operator_name : std::string("operator");
  if (!mode || mode->mode == db::DoorModeKind::kNormal) {
    if (door.machine.mode() == doors::OperatingMode::kNormal ||
        door.machine.mode() == doors::OperatingMode::kScheduledUnlock) {
      return;  // already there (a full reload repeats every door's mode)
    }
    act(door, door.machine.set_normal(who, now));
  } else if (mode->mode == db::DoorModeKind::kLocked) {
    act(door, door.machine.set_locked(mode->allowed_group.value_or(""), who, now));
  } else if (mode->mode == db::DoorModeKind::kUnlocked && mode->until) {
    std::int64_t left_us = mode->until->us - clock_.wall().us;
    if (left_us <= 0) return;
    act(door, door.machine.momentary_unlock(
                  std::chrono::seconds((left_us + 999'999) / 1'000'000), who, now));
  }
}

void DoorService::check_schedules() {
  if (local_time_) {
    LocalTime local = local_time_->to_local(clock_.wall());
    for (auto& door : doors_) {
      if (!door->unlocked_during) continue;
      act(*door, door->machine.set_schedule_open(door->unlocked_during->open_at(local), clock_.mono()));
    }
  }
  // Schedules have minute resolution: look again just after the next minute
  // starts, so a scheduled unlock begins and ends within ~0.1 s of its minute.
  const std::int64_t into_minute_us = clock_.wall().us % 60'000'000;
  schedule_timer_.expires_after(std::chrono::microseconds(60'000'000 - into_minute_us + 100'000));
  std::weak_ptr<bool> alive = alive_;
  schedule_timer_.async_wait([this, alive](const boost::system::error_code& ec) {
    auto a = alive.lock();
    if (ec || !a || !*a) return;
    check_schedules();
  });
}

void DoorService::arm_deadline_timer() {
  std::optional<MonoTime> next;
  auto consider = [&next](std::optional<MonoTime> t) {
    if (t && (!next || *t < *next)) next = t;
  };
  for (const auto& door : doors_) {
    consider(door->machine.next_deadline());
    if (door->contact) consider(door->contact->next_deadline());
    if (door->exit_button) consider(door->exit_button->next_deadline());
  }
  if (!next) return;
  std::int64_t wait_us = std::max<std::int64_t>(0, next->us - clock_.mono().us);
  deadline_timer_.expires_after(std::chrono::microseconds(wait_us));
  std::weak_ptr<bool> alive = alive_;
  deadline_timer_.async_wait([this, alive](const boost::system::error_code& ec) {
    auto a = alive.lock();
    if (ec || !a || !*a) return;
    on_deadline();
  });
}

void DoorService::on_deadline() {
  const MonoTime now = clock_.mono();
  for (auto& door : doors_) {
    if (door->exit_button) {
      if (auto change = door->exit_button->tick(now); change && change->active) {
        act(*door, door->machine.exit_request(now));
      }
    }
    if (door->contact) {
      if (auto change = door->contact->tick(now)) act(*door, door->machine.contact(change->active, now));
    }
    act(*door, door->machine.tick(now));
  }
  arm_deadline_timer();
}

std::vector<doors::DoorStatus> DoorService::status() const {
  std::vector<doors::DoorStatus> out;
  for (const auto& door : doors_) out.push_back(door->machine.status());
  return out;
}

std::int64_t DoorService::suppressed_bounces() const {
  std::int64_t n = 0;
  for (const auto& door : doors_) {
    if (door->contact) n += static_cast<std::int64_t>(door->contact->suppressed());
    if (door->exit_button) n += static_cast<std::int64_t>(door->exit_button->suppressed());
  }
  return n;
}

}  // namespace gatehouse::controller
