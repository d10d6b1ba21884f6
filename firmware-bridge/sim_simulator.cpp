#include "firmware-bridge/sim_simulator.h"

#include <algorithm>
#include <cmath>
#include <cstdlib>

#include "base/log.h"

namespace gatehouse::bridge {
namespace {

CommandResult fail(std::string message) { return CommandResult{false, "error: " + std::move(message)}; }

std::string_view color_name(std::uint8_t color) {
  switch (color) {
    case 0: return "black";
    case 1: return "red";
    case 2: return "green";
    case 3: return "amber";
    case 4: return "blue";
    default: return "other";
  }
}

std::string led_text(const std::optional<readers::osdp::LedCommand>& led) {
  if (!led) return "none";
  std::string s;
  if (led->temp_control == 2) {
    s = color_name(led->temp_on_color);
    s += "(temporary)";
  } else {
    s = color_name(led->perm_on_color);
  }
  return s;
}

std::string unknown(std::string_view kind, std::string_view id, const std::string& known) {
  std::string s = "unknown ";
  s += kind;
  s += " '";
  s += id;
  s += "' (";
  s += known.empty() ? std::string("none in this site") : known;
  s += ")";
  return s;
}

std::string port_key(const TcpEndpoint& ep, std::string_view id) {
  std::string key = ep.host;
  key += ':';
  key += std::to_string(ep.port);
  // Port 0 (tests): every device gets its own listener.
  if (ep.port == 0) {
    key += '#';
    key += id;
  }
  return key;
}

}  // namespace

Result<std::unique_ptr<Simulator>> Simulator::create(const site::Site& site, SimOptions options) {
  std::unique_ptr<Simulator> sim(new Simulator());
  Status st = sim->build(site, options);
  if (!st.ok()) return st.error();
  return sim;
}

Status Simulator::build(const site::Site& site, SimOptions options) {
  options_ = options;
  options_.tick_us = std::clamp<std::int64_t>(options_.tick_us, 1'000, 50'000);
  rng_.seed(options.seed);

  std::map<std::string, ReaderLine*> lines;
  for (const site::Reader& r : site.readers) {
    ReaderRef ref;
    ref.endpoint = r.osdp;
    Result<TcpEndpoint> ep = parse_tcp_endpoint(r.osdp);
    if (!ep.ok()) {
      log(LogLevel::kWarn, "sim", "reader not simulated (only tcp:// endpoints are)",
          {{"reader", r.id}, {"osdp", r.osdp}});
      readers_.emplace(r.id, ref);
      continue;
    }
    const std::string key = port_key(*ep, r.id);
    auto it = lines.find(key);
    if (it == lines.end()) {
      reader_lines_.push_back(std::make_unique<ReaderLine>(*ep, r.osdp));
      it = lines.emplace(key, reader_lines_.back().get()).first;
    }
    ref.line = it->second;
    ref.reader = &it->second->add(r, options.seed);
    readers_.emplace(r.id, ref);
  }

  std::map<std::string, ModbusEndpoint*> endpoints;
  for (const site::IoModule& m : site.io_modules) {
    Result<TcpEndpoint> ep = parse_tcp_endpoint(m.modbus);
    if (!ep.ok()) {
      log(LogLevel::kWarn, "sim", "io module not simulated (only tcp:// endpoints are)",
          {{"io", m.id}, {"modbus", m.modbus}});
      modules_.emplace(m.id, ModuleRef{});
      continue;
    }
    int coils = 8;
    for (const site::Door& d : site.doors) {
      if (d.lock.io == m.id) coils = std::max(coils, d.lock.coil + 1);
    }
    const std::string key = port_key(*ep, m.id);
    auto it = endpoints.find(key);
    if (it == endpoints.end()) {
      modbus_endpoints_.push_back(std::make_unique<ModbusEndpoint>(*ep, m.modbus));
      it = endpoints.emplace(key, modbus_endpoints_.back().get()).first;
    }
    Result<SimUnit*> unit = it->second->add(m, coils);
    if (!unit.ok()) return unit.error();
    modules_.emplace(m.id, ModuleRef{*unit, it->second});
  }

  for (const site::Door& d : site.doors) {
    auto door = std::make_unique<Door>();
    door->config = d;
    door->physics = DoorPhysics(options_.timings);
    auto unit_of = [&](const std::string& io) -> SimUnit* {
      auto it = modules_.find(io);
      return it == modules_.end() ? nullptr : it->second.unit;
    };
    door->lock_unit = unit_of(d.lock.io);
    if (d.contact) door->contact_unit = unit_of(d.contact->io);
    if (d.exit_button) door->exit_unit = unit_of(d.exit_button->io);
    if (door->lock_unit == nullptr) {
      log(LogLevel::kWarn, "sim", "door lock not simulated: the lock is taken as unpowered", {{"door", d.id}});
    }
    write_inputs(*door);
    doors_.push_back(std::move(door));
  }

  for (auto& line : reader_lines_) {
    Status st = line->update();
    if (!st.ok()) return st;
  }
  for (auto& ep : modbus_endpoints_) {
    Status st = ep->update();
    if (!st.ok()) return st;
  }
  return {};
}

Simulator::~Simulator() { stop(); }

void Simulator::start() {
  if (thread_.joinable()) return;
  stop_ = false;
  thread_ = std::thread([this] { run(); });
}

void Simulator::stop() {
  stop_ = true;
  if (thread_.joinable()) thread_.join();
}

void Simulator::run() {
  std::vector<pollfd> fds;
  std::vector<std::pair<PollOwner*, std::uint64_t>> owners;
  MonoTime next_tick = SystemClock::instance().mono();
  while (!stop_.load()) {
    fds.clear();
    owners.clear();
    {
      std::lock_guard lock(mutex_);
      for (auto& line : reader_lines_) line->add_fds(fds, owners);
      for (auto& ep : modbus_endpoints_) ep->add_fds(fds, owners);
    }
    const MonoTime before = SystemClock::instance().mono();
    const std::int64_t wait_us = std::max<std::int64_t>(0, next_tick.us - before.us);
    const int rc = ::poll(fds.data(), fds.size(), static_cast<int>((wait_us + 999) / 1000));
    std::lock_guard lock(mutex_);
    const MonoTime now = SystemClock::instance().mono();
    if (rc > 0) {
      for (std::size_t i = 0; i < fds.size(); ++i) {
        if (fds[i].revents != 0) owners[i].first->on_ready(fds[i].fd, owners[i].second, now);
      }
    }
    // The physics runs after every exchange (a coil just written is seen at
    // once) and at least every tick.
    tick_locked(now);
    if (now >= next_tick) next_tick = MonoTime{now.us + options_.tick_us};
  }
}

bool Simulator::lock_unlocked(const Door& door) const {
  const bool coil = door.lock_unit != nullptr && door.lock_unit->coil(door.config.lock.coil);
  // Electric strike (fail secure): energised = unlocked. Maglock (fail safe):
  // energised = locked, so an unpowered coil leaves it unlocked.
  return door.config.lock.fail == site::FailMode::kSecure ? coil : !coil;
}

void Simulator::write_inputs(Door& door) {
  if (door.contact_unit != nullptr) {
    const bool closed_circuit_is_closed = door.config.contact->normally == site::Polarity::kNormallyClosed;
    const bool open = door.physics.open();
    door.contact_unit->set_input(door.config.contact->input, closed_circuit_is_closed ? !open : open);
  }
  if (door.exit_unit != nullptr) {
    const bool normally_open = door.config.exit_button->normally == site::Polarity::kNormallyOpen;
    const bool pressed = door.physics.button_pressed();
    door.exit_unit->set_input(door.config.exit_button->input, normally_open ? pressed : !pressed);
  }
}

void Simulator::tick_locked(MonoTime now) {
  for (auto& door : doors_) {
    const bool unlocked = lock_unlocked(*door);
    if (!door->last_unlocked || *door->last_unlocked != unlocked) {
      if (door->last_unlocked) {
        log(LogLevel::kInfo, "sim", unlocked ? "lock unlocked" : "lock locked",
            {{"door", door->config.id}, {"fail", std::string(site::to_string(door->config.lock.fail))}});
      }
      door->last_unlocked = unlocked;
    }
    for (const std::string& change : door->physics.tick(now, unlocked)) {
      log(LogLevel::kInfo, "sim", change, {{"door", door->config.id}});
    }
    write_inputs(*door);
  }
  while (scenario_next_ < scenario_.size() && scenario_start_.us + scenario_[scenario_next_].at_us <= now.us) {
    const ScenarioStep& step = scenario_[scenario_next_++];
    std::string source = "scenario:";
    source += std::to_string(step.line);
    CommandResult r = command_locked(step.command, source, now);
    (void)r;  // logged by command_locked
    if (scenario_next_ == scenario_.size() && exit_after_scenario_) {
      log(LogLevel::kInfo, "sim", "scenario finished: exiting");
      quit_ = true;
      quit_cv_.notify_all();
    }
  }
  if (traffic_every_us_ > 0 && now >= traffic_next_) {
    traffic_next_ = MonoTime{now.us + traffic_every_us_};
    std::vector<std::string> ids;
    for (const auto& [id, ref] : readers_) {
      if (ref.reader != nullptr && ref.reader->plugged) ids.push_back(id);
    }
    if (!ids.empty() && !traffic_specs_.empty()) {
      const std::string& reader = ids[rng_() % ids.size()];
      const std::string& card = traffic_specs_[rng_() % traffic_specs_.size()];
      std::string line = "present ";
      line += reader;
      line += ' ';
      line += card;
      (void)command_locked(line, "traffic", now);
    }
  }
}

CommandResult Simulator::command(std::string_view line, std::string_view source) {
  std::lock_guard lock(mutex_);
  return command_locked(line, source, SystemClock::instance().mono());
}

CommandResult Simulator::command_locked(std::string_view line, std::string_view source, MonoTime now) {
  const std::vector<std::string> w = split_words(line);
  CommandResult r;
  if (w.empty()) {
    r = fail("empty command");
  } else if (w[0] == "present") {
    r = do_present(w, now);
  } else if (w[0] == "exit" || w[0] == "force" || w[0] == "hold") {
    r = do_door(w, now);
  } else if (w[0] == "tamper") {
    r = do_tamper(w);
  } else if (w[0] == "unplug" || w[0] == "replug") {
    r = do_plug(w, w[0] == "replug");
  } else if (w[0] == "status") {
    r = CommandResult{true, status_text()};
  } else if (w[0] == "quit") {
    quit_ = true;
    quit_cv_.notify_all();
    r = CommandResult{true, "bye"};
  } else {
    std::string m = "unknown command '";
    m += w[0];
    m += "' (present, exit, force, hold, tamper, unplug, replug, status, quit)";
    r = fail(std::move(m));
  }
  // `status` is polled by people and tests: logged only when a scenario asks.
  const bool quiet = !w.empty() && w[0] == "status" && source.substr(0, 9) != "scenario:";
  log(quiet ? LogLevel::kDebug : (r.ok ? LogLevel::kInfo : LogLevel::kWarn), "sim", "command",
      {{"source", std::string(source)}, {"line", std::string(line)}, {"result", r.text}});
  return r;
}

CommandResult Simulator::do_present(const std::vector<std::string>& w, MonoTime now) {
  if (w.size() < 3 || w.size() > 4) return fail("usage: present READER CARD [PIN]");
  auto it = readers_.find(w[1]);
  if (it == readers_.end()) return fail(unknown("reader", w[1], reader_ids()));
  if (it->second.reader == nullptr) {
    std::string m = "reader '";
    m += w[1];
    m += "' is not simulated (";
    m += it->second.endpoint;
    m += ")";
    return fail(std::move(m));
  }
  SimReader& reader = *it->second.reader;
  if (!reader.plugged) {
    std::string m = "reader '";
    m += w[1];
    m += "' is unplugged: nothing reads the card";
    return fail(std::move(m));
  }
  Result<readers::RawCard> card = parse_card_spec(w[2]);
  if (!card.ok()) return fail(card.error().message);
  if (w.size() == 4) {
    if (!reader.config.keypad) return fail("reader '" + w[1] + "' has no keypad (keypad = true in the site file)");
    if (w[3].empty() || w[3].find_first_not_of("0123456789") != std::string::npos) {
      return fail("PIN must be digits");
    }
  }
  reader.pd->present_card(*card);
  std::string text = "presented ";
  text += w[2];
  text += " (";
  text += std::to_string(card->bit_count);
  text += " bits) at ";
  text += w[1];
  if (w.size() == 4) {
    Status st = reader.pd->keypad(w[3] + "\r");
    if (!st.ok()) return fail(st.error().message);
    text += " with PIN";
  }
  for (auto& door : doors_) {
    if (door->config.reader != w[1]) continue;
    Status st = door->physics.present(now);
    text += st.ok() ? "; a person waits at " : "; nobody new waits at ";
    text += door->config.id;
    if (!st.ok()) {
      text += ": ";
      text += st.error().message;
    }
  }
  return CommandResult{true, std::move(text)};
}

CommandResult Simulator::do_door(const std::vector<std::string>& w, MonoTime now) {
  const bool hold = w[0] == "hold";
  if (w.size() != (hold ? 3U : 2U)) return fail(hold ? "usage: hold DOOR SECONDS" : "usage: " + w[0] + " DOOR");
  Door* door = find_door(w[1]);
  if (door == nullptr) return fail(unknown("door", w[1], door_ids()));
  Status st;
  if (w[0] == "exit") {
    if (!door->config.exit_button) return fail("door '" + w[1] + "' has no exit button");
    st = door->physics.exit(now);
  } else if (w[0] == "force") {
    st = door->physics.force(now);
  } else {
    char* end = nullptr;
    const double seconds = std::strtod(w[2].c_str(), &end);
    if (end == w[2].c_str() || *end != '\0' || !std::isfinite(seconds) || seconds <= 0 || seconds > 86400) {
      return fail("SECONDS must be a number above 0 (at most 86400)");
    }
    st = door->physics.hold(now, static_cast<std::int64_t>(std::llround(seconds * 1e6)));
  }
  if (!st.ok()) return fail(w[1] + ": " + st.error().message);
  tick_locked(now);  // a forced door opens now, not at the next tick
  std::string text = w[0];
  text += ' ';
  text += w[1];
  text += ": ";
  text += phase_name(door->physics.phase());
  return CommandResult{true, std::move(text)};
}

CommandResult Simulator::do_tamper(const std::vector<std::string>& w) {
  if (w.size() != 3 || (w[2] != "on" && w[2] != "off")) return fail("usage: tamper READER on|off");
  auto it = readers_.find(w[1]);
  if (it == readers_.end()) return fail(unknown("reader", w[1], reader_ids()));
  if (it->second.reader == nullptr) return fail("reader '" + w[1] + "' is not simulated");
  it->second.reader->pd->set_tamper(w[2] == "on");
  return CommandResult{true, "tamper " + w[1] + " " + w[2]};
}

CommandResult Simulator::do_plug(const std::vector<std::string>& w, bool plug) {
  if (w.size() != 2) return fail("usage: " + w[0] + " DEVICE (a reader or io module id)");
  auto r = readers_.find(w[1]);
  auto m = modules_.find(w[1]);
  if (r != readers_.end() && m != modules_.end()) {
    return fail("'" + w[1] + "' names both a reader and an io module");
  }
  Status st;
  if (r != readers_.end()) {
    if (r->second.reader == nullptr) return fail("reader '" + w[1] + "' is not simulated");
    r->second.reader->plugged = plug;
    st = r->second.line->update();
  } else if (m != modules_.end()) {
    if (m->second.unit == nullptr) return fail("io module '" + w[1] + "' is not simulated");
    m->second.unit->plugged = plug;
    st = m->second.endpoint->update();
  } else {
    std::string known = reader_ids();
    for (const auto& [id, ref] : modules_) {
      if (!known.empty()) known += ", ";
      known += id;
    }
    return fail(unknown("device", w[1], known));
  }
  if (!st.ok()) return fail(st.error().message);
  return CommandResult{true, w[1] + (plug ? " plugged in" : " unplugged")};
}

std::string Simulator::status_text() const {
  std::string s;
  for (const auto& door : doors_) {
    s += "door ";
    s += door->config.id;
    s += ": lock=";
    s += door->lock_unit == nullptr ? "unsimulated" : (lock_unlocked(*door) ? "unlocked" : "locked");
    s += " contact=";
    s += door->config.contact ? (door->physics.open() ? "open" : "closed") : "none";
    s += " phase=";
    s += phase_name(door->physics.phase());
    s += '\n';
  }
  for (const auto& [id, ref] : readers_) {
    s += "reader ";
    s += id;
    if (ref.reader == nullptr) {
      s += ": not simulated (";
      s += ref.endpoint;
      s += ")\n";
      continue;
    }
    s += ": ";
    s += ref.reader->plugged ? "plugged" : "unplugged";
    s += " port=";
    s += std::to_string(ref.line->port());
    s += " connected=";
    s += ref.line->connected() ? "yes" : "no";
    s += " secure=";
    s += ref.reader->pd->secure_channel_active() ? "yes" : "no";
    s += " led=";
    s += led_text(ref.reader->pd->last_led());
    s += '\n';
  }
  for (const auto& [id, ref] : modules_) {
    s += "io ";
    s += id;
    if (ref.unit == nullptr) {
      s += ": not simulated\n";
      continue;
    }
    s += ": ";
    s += ref.unit->plugged ? "plugged" : "unplugged";
    s += " port=";
    s += std::to_string(ref.endpoint->port());
    s += " unit=";
    s += std::to_string(ref.unit->config.unit);
    s += " connections=";
    s += std::to_string(ref.endpoint->connections());
    s += '\n';
  }
  if (!s.empty()) s.pop_back();
  return s;
}

void Simulator::set_scenario(std::vector<ScenarioStep> steps, bool exit_after) {
  std::lock_guard lock(mutex_);
  scenario_ = std::move(steps);
  scenario_next_ = 0;
  scenario_start_ = SystemClock::instance().mono();
  exit_after_scenario_ = exit_after;
  if (scenario_.empty() && exit_after) {
    quit_ = true;
    quit_cv_.notify_all();
  }
}

Status Simulator::set_traffic(std::vector<std::string> cards, std::int64_t every_us) {
  if (every_us < 100'000) return make_error(ErrorKind::kInvalidInput, "--every must be at least 0.1 s");
  if (cards.empty()) return make_error(ErrorKind::kInvalidInput, "--traffic needs at least one card");
  for (const std::string& c : cards) {
    Result<readers::RawCard> card = parse_card_spec(c);
    if (!card.ok()) return card.error();
  }
  std::lock_guard lock(mutex_);
  traffic_specs_ = std::move(cards);
  traffic_every_us_ = every_us;
  traffic_next_ = MonoTime{SystemClock::instance().mono().us + every_us};
  return {};
}

bool Simulator::wait_quit(std::chrono::milliseconds limit) {
  std::unique_lock lock(mutex_);
  return quit_cv_.wait_for(lock, limit, [this] { return quit_.load(); });
}

bool Simulator::scenario_finished() const {
  std::lock_guard lock(mutex_);
  return scenario_next_ >= scenario_.size();
}

int Simulator::reader_port(std::string_view reader_id) const {
  std::lock_guard lock(mutex_);
  auto it = readers_.find(reader_id);
  return it == readers_.end() || it->second.line == nullptr ? 0 : it->second.line->port();
}

int Simulator::module_port(std::string_view module_id) const {
  std::lock_guard lock(mutex_);
  auto it = modules_.find(module_id);
  return it == modules_.end() || it->second.endpoint == nullptr ? 0 : it->second.endpoint->port();
}

std::optional<DoorPhase> Simulator::door_phase(std::string_view door_id) const {
  std::lock_guard lock(mutex_);
  for (const auto& d : doors_) {
    if (d->config.id == door_id) return d->physics.phase();
  }
  return std::nullopt;
}

Simulator::Door* Simulator::find_door(std::string_view id) {
  for (auto& d : doors_) {
    if (d->config.id == id) return d.get();
  }
  return nullptr;
}

std::string Simulator::door_ids() const {
  std::string s;
  for (const auto& d : doors_) {
    if (!s.empty()) s += ", ";
    s += d->config.id;
  }
  return s;
}

std::string Simulator::reader_ids() const {
  std::string s;
  for (const auto& [id, ref] : readers_) {
    if (!s.empty()) s += ", ";
    s += id;
  }
  return s;
}

}  // namespace gatehouse::bridge
