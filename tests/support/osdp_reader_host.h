// Virtual OSDP readers (readers/osdp_pd.h) listening on loopback TCP, as
// serial-to-IP bridges would, all served by one thread: for the tests and the
// benchmarks of the controller's reader service. Loopback only; bounded.
//
// Thread safety: with_pd() locks; the host thread feeds the PDs.
#pragma once

#include <atomic>
#include <memory>
#include <mutex>
#include <thread>
#include <vector>

#include "readers/osdp_pd.h"

namespace gatehouse::test_support {

class OsdpReaderHost {
 public:
  // One listening port per reader.
  explicit OsdpReaderHost(std::vector<readers::osdp::PdSettings> readers);
  ~OsdpReaderHost();
  OsdpReaderHost(const OsdpReaderHost&) = delete;
  OsdpReaderHost& operator=(const OsdpReaderHost&) = delete;

  int port(std::size_t reader) const;
  template <typename F>
  auto with_pd(std::size_t reader, F f) {
    std::lock_guard lock(mutex_);
    return f(*slots_.at(reader)->pd);
  }

 private:
  struct Slot {
    int listener = -1;
    int conn = -1;
    int port = 0;
    std::unique_ptr<readers::osdp::PeripheralDevice> pd;
  };
  void run();
  std::vector<std::unique_ptr<Slot>> slots_;
  std::mutex mutex_;
  std::atomic<bool> stop_{false};
  std::thread thread_;
};

}  // namespace gatehouse::test_support
