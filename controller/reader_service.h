// The badge readers of a running controller, on the reactor: one OsdpLine and
// one OSDP ControlPanel per reader endpoint (several readers share a
// multi-drop line), card reads and keypad input turned into access decisions,
// the decision shown on the reader (green LED and one beep, or red and two),
// and reader tamper, power, link and Secure Channel problems turned into
// events and alarms. Docs: docs/osdp.md.
//
// Thread safety: reactor only. Lifetime: stop() before destruction.
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
#include "controller/readers/osdp_line.h"
#include "readers/osdp_cp.h"
#include "site/site.h"

namespace gatehouse::controller {

class EventWriter;

// What the controller knows of a reader's Secure Channel key.
struct ReaderSecurity {
  std::optional<readers::osdp::Key> scbk;  // the reader's own key, opened from the vault
  bool install_mode = false;               // an operator allowed SCBK-D, until KEYSET
};

struct ReaderStatus {
  std::string reader_id;
  std::string door_id;
  bool line_connected = false;
  bool online = false;
  bool secure = false;
  std::string state;  // the control panel's state name for this reader
  std::string identity;  // "vendor 0a0b0c model 1 version 2 serial 1234 firmware 1.2.3"; "" until known
  int capabilities = 0;  // osdp_PDCAP entries reported
};

class ReaderService {
 public:
  // new_key: called with a reader's fresh key after a successful KEYSET, to seal
  // and store it (the caller never logs it).
  ReaderService(boost::asio::io_context& ioc, const site::Site& site, AccessService& access,
                EventWriter* events, std::map<std::string, ReaderSecurity> security,
                std::function<void(const std::string& reader_id, const readers::osdp::Key& key)> new_key,
                const Clock& clock = SystemClock::instance());
  ~ReaderService();

  void start();
  void stop();

  std::vector<ReaderStatus> status() const;
  // Last byte of a card read (RAW reply) to its decision, in µs, newest last (bounded).
  const std::vector<std::int64_t>& raw_to_decision_us() const { return latencies_us_; }
  std::map<std::string, std::uint64_t> dropped() const;

 private:
  struct Line;
  struct PendingPin {
    readers::RawCard card;
    MonoTime card_at;
    std::string digits;
    MonoTime deadline;
  };
  struct ReaderRec {
    site::Reader config;
    std::string door_id;
    bool card_and_pin = false;
    Line* line = nullptr;
    bool online = false;
    bool secure = false;
    bool tamper = false;
    // The last Secure Channel problem reported: a reader stuck failing the
    // handshake is logged and recorded once, not at every retry.
    std::string last_problem;
    std::uint64_t problems = 0;
    std::optional<PendingPin> pending;
  };

  void on_card(Line& line, std::uint8_t address, const readers::RawCard& card, MonoTime at);
  void on_keypad(Line& line, std::uint8_t address, const std::string& digits, MonoTime at);
  void decide(ReaderRec& reader, const readers::RawCard& card, std::optional<std::string> pin,
              MonoTime card_at);
  void door_record(const ReaderRec& reader, int op, const std::string& kind,
                   const std::string& detail);
  ReaderRec* find(Line& line, std::uint8_t address);
  void arm(Line& line);
  void check_pins();

  boost::asio::io_context& ioc_;
  AccessService& access_;
  EventWriter* events_;
  std::function<void(const std::string&, const readers::osdp::Key&)> new_key_;
  const Clock& clock_;
  std::vector<std::unique_ptr<Line>> lines_;
  std::map<std::string, ReaderRec, std::less<>> readers_;
  std::vector<std::int64_t> latencies_us_;
  boost::asio::steady_timer pin_timer_;
  std::shared_ptr<bool> alive_ = std::make_shared<bool>(true);
};

}  // namespace gatehouse::controller
