#include "controller/reader_service.h"

#include <sodium.h>

#include <cstdio>

#include <boost/asio/post.hpp>

#include "base/log.h"
#include "controller/event_writer.h"

namespace gatehouse::controller {
namespace asio = boost::asio;
namespace osdp = readers::osdp;

namespace {

// OSDP keypad codes: '#' (enter) is 0x0D, '*' (clear) is 0x7F; digits are ASCII.
constexpr char kKeypadEnter = 0x0D;
constexpr char kKeypadClear = 0x7F;
constexpr std::chrono::seconds kPinWait{10};
constexpr std::size_t kMaxLatencySamples = 100'000;

std::string describe(const osdp::Identity& id) {
  char buf[128];
  std::snprintf(buf, sizeof buf, "vendor %02x%02x%02x model %u version %u serial %u firmware %u.%u.%u",
                id.vendor_oui[0], id.vendor_oui[1], id.vendor_oui[2], id.model, id.version,
                static_cast<unsigned>(id.serial), id.firmware[0], id.firmware[1], id.firmware[2]);
  return buf;
}

enum RecordOp { kEvent = 0, kRaise = 1, kClear = 2 };

}  // namespace

struct ReaderService::Line {
  std::string url;
  std::shared_ptr<readers_io::OsdpLine> wire;
  std::unique_ptr<osdp::ControlPanel> cp;
  std::map<std::uint8_t, std::string> reader_by_address;
  boost::asio::steady_timer timer;
  explicit Line(asio::io_context& ioc) : timer(ioc) {}
};

ReaderService::ReaderService(asio::io_context& ioc, const site::Site& site, AccessService& access,
                             EventWriter* events, std::map<std::string, ReaderSecurity> security,
                             std::function<void(const std::string&, const osdp::Key&)> new_key,
                             const Clock& clock)
    : ioc_(ioc),
      access_(access),
      events_(events),
      new_key_(std::move(new_key)),
      clock_(clock),
      pin_timer_(ioc) {
  std::map<std::string, std::vector<const site::Reader*>> by_url;
  for (const auto& r : site.readers) {
    ReaderRec rec;
    rec.config = r;
    for (const auto& d : site.doors) {
      if (d.reader == r.id) {
        rec.door_id = d.id;
        rec.card_and_pin = d.mode == site::DoorMode::kCardAndPin;
      }
    }
    readers_[r.id] = rec;
    by_url[r.osdp].push_back(&r);
  }
  for (auto& [url, on_line] : by_url) {
    auto line = std::make_unique<Line>(ioc);
    line->url = url;
    std::vector<osdp::PdConfig> pds;
    for (const site::Reader* r : on_line) {
      osdp::PdConfig pd;
      pd.address = static_cast<std::uint8_t>(r->address);
      pd.secure_channel = r->secure_channel;
      auto sec = security.find(r->id);
      if (sec != security.end()) {
        // Install mode, when an operator enabled it, wins over a stored key: it is
        // how a replaced or factory-reset reader is set up again.
        pd.install_mode = sec->second.install_mode;
        if (!pd.install_mode) pd.scbk = sec->second.scbk;
        if (pd.install_mode) randombytes_buf(pd.install_key.data(), pd.install_key.size());
      }
      pds.push_back(pd);
      line->reader_by_address[pd.address] = r->id;
      readers_[r->id].line = line.get();
    }
    Line* raw = line.get();
    std::weak_ptr<bool> alive = alive_;
    osdp::CpEvents ev;
    ev.card = [this, raw](std::uint8_t a, const readers::RawCard& c, MonoTime at) { on_card(*raw, a, c, at); };
    ev.keypad = [this, raw](std::uint8_t a, const std::string& d, MonoTime at) { on_keypad(*raw, a, d, at); };
    ev.local_status = [this, raw](std::uint8_t a, const osdp::LocalStatus& s) {
      ReaderRec* r = find(*raw, a);
      if (r == nullptr) return;
      if (s.tamper != r->tamper) {
        r->tamper = s.tamper;
        door_record(*r, s.tamper ? kRaise : kClear, "reader_tamper", "reader " + r->config.id);
      }
      if (s.power_failure) door_record(*r, kEvent, "reader_power_failure", "reader " + r->config.id);
    };
    ev.online = [this, raw](std::uint8_t a, bool online) {
      ReaderRec* r = find(*raw, a);
      if (r == nullptr || r->online == online) return;
      r->online = online;
      std::string who;
      if (online) {
        // Identity and capabilities, as discovered (ID, CAP), recorded with the event.
        auto pd = raw->cp->status(a);
        if (pd.ok() && pd->identity) {
          who = describe(*pd->identity) + ", " + std::to_string(pd->capabilities.size()) + " capabilities";
        }
      }
      log(online ? LogLevel::kInfo : LogLevel::kWarn, "readers", online ? "reader online" : "reader offline",
          {{"reader", r->config.id}, {"identity", who}});
      if (online && !who.empty()) door_record(*r, kEvent, "reader_identified", "reader " + r->config.id + ": " + who);
      door_record(*r, online ? kClear : kRaise, "reader_offline", "reader " + r->config.id);
    };
    ev.secure_channel = [this, raw](std::uint8_t a, bool secure) {
      ReaderRec* r = find(*raw, a);
      if (r == nullptr) return;
      r->secure = secure;
      if (secure) {
        if (!r->last_problem.empty()) {
          log(LogLevel::kInfo, "readers", "secure channel established",
              {{"reader", r->config.id}, {"problems_before", std::to_string(r->problems)}});
        }
        r->last_problem.clear();
      }
    };
    ev.alarm = [this, raw](std::uint8_t a, osdp::SecurityAlarm alarm) {
      ReaderRec* r = find(*raw, a);
      if (r == nullptr) return;
      std::string name(osdp::security_alarm_name(alarm));
      ++r->problems;
      if (r->last_problem == name) return;  // still the same problem: already said
      r->last_problem = name;
      log(LogLevel::kWarn, "readers", "secure channel problem", {{"reader", r->config.id}, {"problem", name}});
      if (alarm == osdp::SecurityAlarm::kDowngrade) {
        door_record(*r, kRaise, "secure_channel_downgrade", "reader " + r->config.id + ": " + name);
      } else {
        door_record(*r, kEvent, "secure_channel_" + name, "reader " + r->config.id);
      }
    };
    ev.key_set = [this, raw](std::uint8_t a, const osdp::Key& key) {
      ReaderRec* r = find(*raw, a);
      if (r == nullptr) return;
      log(LogLevel::kInfo, "readers", "reader received its own secure channel key", {{"reader", r->config.id}});
      if (new_key_) new_key_(r->config.id, key);
    };
    osdp::CpSettings settings;
    // RND.A for every Secure Channel handshake: the operating system's CSPRNG.
    settings.random_bytes = [](std::span<std::uint8_t> out) { randombytes_buf(out.data(), out.size()); };
    line->cp = std::make_unique<osdp::ControlPanel>(
        settings, std::move(pds),
        [raw](std::span<const std::uint8_t> bytes) {
          if (raw->wire) raw->wire->send(bytes);
        },
        std::move(ev));
    lines_.push_back(std::move(line));
  }
}

ReaderService::~ReaderService() {
  *alive_ = false;
  stop();
}

void ReaderService::start() {
  for (auto& line : lines_) {
    Line* raw = line.get();
    std::weak_ptr<bool> alive = alive_;
    readers_io::LineHandlers handlers;
    handlers.on_bytes = [this, raw, alive](std::span<const std::uint8_t> bytes, MonoTime at) {
      auto a = alive.lock();
      if (!a || !*a) return;
      raw->cp->receive(bytes, at);
      arm(*raw);
    };
    handlers.on_link = [raw](bool up, const std::string& why) {
      log(up ? LogLevel::kInfo : LogLevel::kWarn, "readers", up ? "reader line up" : "reader line down",
          {{"line", raw->url}, {"reason", why}});
    };
    auto wire = readers_io::OsdpLine::create(ioc_, line->url, handlers, clock_);
    if (!wire.ok()) {
      log(LogLevel::kError, "readers", "cannot open reader line", {{"error", wire.error().message}});
      continue;
    }
    line->wire = std::move(wire).value();
    line->wire->start();
    arm(*line);
  }
}

void ReaderService::stop() {
  for (auto& line : lines_) {
    line->timer.cancel();
    if (line->wire) line->wire->stop();
  }
  pin_timer_.cancel();
}

void ReaderService::arm(Line& line) {
  MonoTime next = line.cp->next_deadline();
  std::int64_t wait_us = std::max<std::int64_t>(0, next.us - clock_.mono().us);
  line.timer.expires_after(std::chrono::microseconds(wait_us));
  std::weak_ptr<bool> alive = alive_;
  Line* raw = &line;
  line.timer.async_wait([this, raw, alive](const boost::system::error_code& ec) {
    auto a = alive.lock();
    if (ec || !a || !*a) return;
    raw->cp->tick(clock_.mono());
    arm(*raw);
  });
}

ReaderService::ReaderRec* ReaderService::find(Line& line, std::uint8_t address) {
  auto id = line.reader_by_address.find(address);
  if (id == line.reader_by_address.end()) return nullptr;
  auto it = readers_.find(id->second);
  return it == readers_.end() ? nullptr : &it->second;
}

void ReaderService::on_card(Line& line, std::uint8_t address, const readers::RawCard& card, MonoTime at) {
  ReaderRec* r = find(line, address);
  if (r == nullptr) return;
  if (r->card_and_pin) {
    // The PIN follows on the keypad; the decision waits for '#' or the timeout.
    r->pending = PendingPin{card, at, "", MonoTime{at.us + std::chrono::microseconds(kPinWait).count()}};
    check_pins();
    return;
  }
  decide(*r, card, std::nullopt, at);
}

void ReaderService::on_keypad(Line& line, std::uint8_t address, const std::string& digits, MonoTime) {
  ReaderRec* r = find(line, address);
  if (r == nullptr || !r->pending) return;
  for (char c : digits) {
    if (c == kKeypadClear) {
      r->pending->digits.clear();
    } else if (c == kKeypadEnter) {
      PendingPin p = std::move(*r->pending);
      r->pending.reset();
      decide(*r, p.card, p.digits, p.card_at);
      return;
    } else if (c >= '0' && c <= '9' && r->pending->digits.size() < 12) {
      r->pending->digits += c;
    }
  }
}

void ReaderService::check_pins() {
  const MonoTime now = clock_.mono();
  std::optional<MonoTime> next;
  for (auto& [id, r] : readers_) {
    if (!r.pending) continue;
    if (r.pending->deadline <= now) {
      PendingPin p = std::move(*r.pending);
      r.pending.reset();
      decide(r, p.card, std::nullopt, p.card_at);  // no PIN in time: pin_required
    } else if (!next || r.pending->deadline < *next) {
      next = r.pending->deadline;
    }
  }
  if (!next) return;
  pin_timer_.expires_after(std::chrono::microseconds(next->us - now.us));
  std::weak_ptr<bool> alive = alive_;
  pin_timer_.async_wait([this, alive](const boost::system::error_code& ec) {
    auto a = alive.lock();
    if (!ec && a && *a) check_pins();
  });
}

void ReaderService::decide(ReaderRec& reader, const readers::RawCard& card,
                           std::optional<std::string> pin, MonoTime card_at) {
  auto decision = access_.present(reader.config.id, card, std::move(pin), wall_at(clock_, card_at));
  const MonoTime decided = clock_.mono();
  if (latencies_us_.size() >= kMaxLatencySamples) latencies_us_.erase(latencies_us_.begin());
  latencies_us_.push_back(decided.us - card_at.us);
  if (!decision.ok()) {
    log(LogLevel::kWarn, "readers", "card read not decided",
        {{"reader", reader.config.id}, {"error", decision.error().message}});
    return;
  }
  if (reader.line != nullptr) {
    Status shown = reader.line->cp->feedback(static_cast<std::uint8_t>(reader.config.address),
                                             decision->granted);
    if (!shown.ok()) {
      log(LogLevel::kDebug, "readers", "feedback not sent", {{"error", shown.error().message}});
    }
    arm(*reader.line);
  }
}

void ReaderService::door_record(const ReaderRec& reader, int op, const std::string& kind,
                                const std::string& detail) {
  if (events_ == nullptr || reader.door_id.empty()) return;
  DoorRecord record;
  record.op = op == kRaise ? DoorRecord::Op::kRaiseAlarm
              : op == kClear ? DoorRecord::Op::kClearAlarm
                             : DoorRecord::Op::kEvent;
  record.at = clock_.wall();
  record.door_id = reader.door_id;
  record.kind = kind;
  record.detail = detail;
  events_->submit(std::move(record));
}

std::vector<ReaderStatus> ReaderService::status() const {
  std::vector<ReaderStatus> out;
  for (const auto& [id, r] : readers_) {
    ReaderStatus s;
    s.reader_id = id;
    s.door_id = r.door_id;
    s.line_connected = r.line != nullptr && r.line->wire && r.line->wire->connected();
    s.online = r.online;
    s.secure = r.secure;
    if (r.line != nullptr) {
      auto pd = r.line->cp->status(static_cast<std::uint8_t>(r.config.address));
      if (pd.ok()) {
        s.state = std::string(osdp::pd_state_name(pd->state));
        if (pd->identity) s.identity = describe(*pd->identity);
        s.capabilities = static_cast<int>(pd->capabilities.size());
      }
    }
    out.push_back(std::move(s));
  }
  return out;
}

std::map<std::string, std::uint64_t> ReaderService::dropped() const {
  std::map<std::string, std::uint64_t> out;
  for (const auto& line : lines_) {
    for (std::size_t i = 0; i < static_cast<std::size_t>(osdp::DropReason::kCount); ++i) {
      auto reason = static_cast<osdp::DropReason>(i);
      out[std::string(osdp::drop_reason_name(reason))] += line->cp->dropped(reason);
    }
  }
  return out;
}

}  // namespace gatehouse::controller
