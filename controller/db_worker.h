// The controller's link to PostgreSQL, on a thread of its own because libpq
// blocks. It connects with exponential backoff (0.5 s doubling to 10 s), applies
// migrations, loads the site, then checks the link every second and reconnects
// when it is lost. The doors never wait on it: it only reports into
// ControllerStatus and, on a fatal refusal (a schema newer than this binary),
// calls on_fatal from its own thread.
//
// Lifetime: start() once; stop() wakes and joins the thread (also on destruction).
#pragma once

#include <condition_variable>
#include <functional>
#include <mutex>
#include <string>
#include <thread>

#include "base/result.h"
#include "controller/status.h"

namespace gatehouse::db {
class Connection;
}

namespace gatehouse::controller {

class DbWorker {
 public:
  DbWorker(std::string conninfo, ControllerStatus& status, std::function<void(Error)> on_fatal);
  ~DbWorker();
  DbWorker(const DbWorker&) = delete;
  DbWorker& operator=(const DbWorker&) = delete;

  void start();
  void stop();

 private:
  void run();
  // Waits up to `d`; returns false as soon as stop() is called.
  bool wait_for(std::chrono::milliseconds d);
  // Loads the site when its newest revision differs from the one loaded.
  Status refresh_site(db::Connection& conn);

  const std::string conninfo_;
  ControllerStatus& status_;
  std::function<void(Error)> on_fatal_;
  std::mutex mutex_;
  std::condition_variable cv_;
  bool stopping_ = false;
  std::int64_t loaded_revision_ = -1;
  std::thread thread_;
};

}  // namespace gatehouse::controller
