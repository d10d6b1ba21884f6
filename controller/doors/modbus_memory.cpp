#include "controller/doors/modbus_memory.h"

#include <algorithm>

namespace gatehouse::controller::doors {

MemoryIo::MemoryIo(const std::vector<site::IoModule>& modules, IoCallbacks callbacks,
                   const Clock& clock)
    : callbacks_(std::move(callbacks)), clock_(clock) {
  for (const auto& m : modules) {
    Module module;
    module.cfg = m;
    module.inputs.assign(static_cast<std::size_t>(std::max(m.input_count, 0)), false);
    modules_.emplace(m.id, std::move(module));
  }
}

Status MemoryIo::apply(const Pending& w) {
  auto it = modules_.find(w.module_id);
  if (it == modules_.end()) {
    return make_error(ErrorKind::kInvalidInput, "no io module '" + w.module_id + "'");
  }
  Module& m = it->second;
  if (w.coil < 0 || m.cfg.coil_base + w.coil > 65535) {
    return make_error(ErrorKind::kInvalidInput, "coil " + std::to_string(w.coil) +
                                                    " of io module '" + w.module_id +
                                                    "' is outside its register map");
  }
  if (!m.online) {
    return make_error(ErrorKind::kUnavailable,
                      "io module '" + w.module_id + "' is offline: " + m.reason);
  }
  if (m.lying_coils.contains(w.coil)) {
    // Stuck: the coil keeps its value, which is right only if it was asked for.
    if (m.coils[w.coil] == w.value) return {};
    std::string message = "coil " + std::to_string(w.coil) + " of io module '" + w.module_id + "'";
    message += w.value ? " reads back 0 after writing 1" : " reads back 1 after writing 0";
    return make_error(ErrorKind::kConflict, std::move(message));
  }
  m.coils[w.coil] = w.value;
  return {};
}

void MemoryIo::write_coil(const std::string& module_id, int coil, bool value,
                          std::function<void(Status)> done) {
  Pending w{module_id, coil, value, std::move(done)};
  Status st;
  {
    std::lock_guard lock(mu_);
    if (hold_) {
      held_.push_back(std::move(w));
      return;
    }
    st = apply(w);
    done_.push_back(CoilWrite{module_id, coil, value, st});
  }
  if (w.done) w.done(std::move(st));
}

void MemoryIo::report_inputs(const std::string& module_id, std::vector<bool> inputs) {
  if (callbacks_.on_inputs) callbacks_.on_inputs(module_id, inputs, clock_.mono());
}

bool MemoryIo::set_input(const std::string& module_id, int input, bool value) {
  std::vector<bool> now;
  {
    std::lock_guard lock(mu_);
    auto it = modules_.find(module_id);
    if (it == modules_.end() || input < 0 ||
        static_cast<std::size_t>(input) >= it->second.inputs.size()) {
      return false;
    }
    it->second.inputs[static_cast<std::size_t>(input)] = value;
    now = it->second.inputs;
  }
  report_inputs(module_id, std::move(now));
  return true;
}

bool MemoryIo::set_inputs(const std::string& module_id, std::vector<bool> inputs) {
  {
    std::lock_guard lock(mu_);
    auto it = modules_.find(module_id);
    if (it == modules_.end() || inputs.size() != it->second.inputs.size()) return false;
    it->second.inputs = inputs;
  }
  report_inputs(module_id, std::move(inputs));
  return true;
}

bool MemoryIo::poll(const std::string& module_id) {
  std::vector<bool> now;
  {
    std::lock_guard lock(mu_);
    auto it = modules_.find(module_id);
    if (it == modules_.end()) return false;
    now = it->second.inputs;
  }
  report_inputs(module_id, std::move(now));
  return true;
}

bool MemoryIo::set_online(const std::string& module_id, bool online, std::string reason) {
  {
    std::lock_guard lock(mu_);
    auto it = modules_.find(module_id);
    if (it == modules_.end()) return false;
    if (it->second.online == online) return true;
    it->second.online = online;
    it->second.reason = reason;
  }
  if (callbacks_.on_link) callbacks_.on_link(module_id, online, reason, clock_.mono());
  return true;
}

void MemoryIo::set_readback_lies(const std::string& module_id, int coil, bool lies) {
  std::lock_guard lock(mu_);
  auto it = modules_.find(module_id);
  if (it == modules_.end()) return;
  if (lies) {
    it->second.lying_coils.insert(coil);
  } else {
    it->second.lying_coils.erase(coil);
  }
}

void MemoryIo::hold_writes(bool hold) {
  std::lock_guard lock(mu_);
  hold_ = hold;
}

std::size_t MemoryIo::complete_writes() {
  std::vector<Pending> held;
  {
    std::lock_guard lock(mu_);
    held.swap(held_);
  }
  for (auto& w : held) {
    Status st;
    {
      std::lock_guard lock(mu_);
      st = apply(w);
      done_.push_back(CoilWrite{w.module_id, w.coil, w.value, st});
    }
    if (w.done) w.done(std::move(st));
  }
  return held.size();
}

bool MemoryIo::coil(const std::string& module_id, int coil) const {
  std::lock_guard lock(mu_);
  auto it = modules_.find(module_id);
  if (it == modules_.end()) return false;
  auto c = it->second.coils.find(coil);
  return c != it->second.coils.end() && c->second;
}

std::vector<bool> MemoryIo::inputs(const std::string& module_id) const {
  std::lock_guard lock(mu_);
  auto it = modules_.find(module_id);
  return it == modules_.end() ? std::vector<bool>{} : it->second.inputs;
}

std::vector<MemoryIo::CoilWrite> MemoryIo::writes() const {
  std::lock_guard lock(mu_);
  return done_;
}

std::size_t MemoryIo::pending_writes() const {
  std::lock_guard lock(mu_);
  return held_.size();
}

}  // namespace gatehouse::controller::doors
