// A Wiegand reader behind a microcontroller (serial lines, docs/firmware-protocol.md)
// presented upstream as an OSDP reader: a PeripheralDevice (readers/osdp_pd.h)
// answers the controller's control panel at the `listen` TCP endpoint. CARD
// lines become RAW card reads (bits as read, parity unchecked: the controller
// judges the format), KEY lines keypad data, TAMPER lines the tamper status;
// the controller's LED and buzzer commands go back to the firmware as LED /
// BUZ lines. Unknown or malformed lines are counted and logged, never fatal.
//
// Thread safety: stats() from any thread; the rest runs on the reader's own
// thread. Lifetime: the destructor stops and joins that thread.
#pragma once

#include <chrono>
#include <cstdint>
#include <memory>

#include "base/result.h"
#include "firmware-bridge/gw_config.h"

namespace gatehouse::bridge {

struct WiegandReaderStats {
  std::uint64_t lines = 0;         // well-formed lines acted on (heartbeats included)
  std::uint64_t cards = 0;
  std::uint64_t keys = 0;
  std::uint64_t heartbeats = 0;
  std::uint64_t bad_lines = 0;     // unknown verb, malformed arguments, overlong
  std::uint64_t rate_limited = 0;  // lines refused because the firmware floods
  std::uint64_t silent_reports = 0;  // "firmware silent" logged
  std::uint64_t feedback_lines = 0;  // LED / BUZ lines written to the firmware
  std::uint64_t connections = 0;     // controller connections accepted
};

struct WiegandReaderOptions {
  int max_lines_per_second = 50;
  std::chrono::milliseconds silent_after{5'000};
};

class WiegandReader {
 public:
  static Result<std::unique_ptr<WiegandReader>> start(const WiegandReaderConfig& config,
                                                      WiegandReaderOptions options = {});
  ~WiegandReader();
  WiegandReader(const WiegandReader&) = delete;
  WiegandReader& operator=(const WiegandReader&) = delete;

  std::uint16_t port() const;
  WiegandReaderStats stats() const;

  class Impl;

 private:
  explicit WiegandReader(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace gatehouse::bridge
