// What the end-to-end tests share: a bounded wait, a row count, and the site
// file of a one-door lab (outside -> lab, group staff admitted always) with the
// variations the tests need.
#pragma once

#include <chrono>
#include <cstdint>
#include <string>
#include <thread>

namespace gatehouse::testing {

// Polls `probe` until it returns true; false after `limit`.
template <typename F>
bool eventually(F probe, std::chrono::milliseconds limit = std::chrono::seconds(20)) {
  auto deadline = std::chrono::steady_clock::now() + limit;
  while (std::chrono::steady_clock::now() < deadline) {
    if (probe()) return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  return probe();
}

// The first cell of `sql` as an integer; -1 when the database cannot answer.
std::int64_t query_count(const std::string& conninfo, const std::string& sql);

struct LabSite {
  std::string modbus_url;                 // the lab's I/O module
  std::string reader_url = "tcp://127.0.0.1:4999";
  bool secure = false;                    // reader secure_channel
  bool card_and_pin = false;              // door mode (and reader keypad)
  bool exit_button = true;                // input 1
  std::string module_timing;              // extra io_module keys, e.g. "poll_ms = 50\n"
  std::string door_timing;                // extra door keys, e.g. "unlock_seconds = 3\n"
};

// The site file text: door "lab-door", reader "r-lab", module "io-lab" (coil 0,
// contact input 0 normally closed, exit button input 1), fail secure.
std::string lab_site_toml(const LabSite& lab);

}  // namespace gatehouse::testing
