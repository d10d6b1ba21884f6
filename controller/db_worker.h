// The controller's link to PostgreSQL, on a thread of its own because libpq
// blocks. It connects with exponential backoff (0.5 s doubling to 10 s),
// applies migrations, loads the site and everything decisions need, builds the
// snapshot here (off the reactor) and hands it over; then it LISTENs for the
// changes any writer commits and hands over each changed row, and once an hour
// suspends badges unused for longer than the site allows.
//
// The doors never wait on it: the reactor keeps deciding from the last snapshot
// while this thread is disconnected. A reconnect always reloads in full, so a
// notification missed while disconnected cannot leave a stale badge behind.
//
// Lifetime: start() once; stop() wakes and joins the thread (also on destruction).
#pragma once

#include <condition_variable>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <thread>

#include "base/result.h"
#include "controller/access/snapshot.h"
#include "controller/access_service.h"
#include "controller/status.h"
#include "db/reader_key_store.h"

namespace gatehouse::db {
class Connection;
}

namespace gatehouse::controller {

struct SealedReaderSecurity {
  std::optional<db::SealedKey> key;
  bool install_mode = false;  // enabled and not expired
};

// Where the worker delivers what it loads. Called on the worker thread; the
// implementations post to the reactor.
struct AccessSink {
  // The site as loaded (before its snapshot): doors and I/O are built from it.
  std::function<void(std::shared_ptr<const site::Site>)> install_site;
  std::function<void(std::shared_ptr<access::Snapshot>)> install;
  // Every reader's sealed key and install mode (at each full reload, and when
  // one changes). Opened with the key vault by the receiver.
  std::function<void(std::map<std::string, SealedReaderSecurity>)> reader_security;
  std::function<void(AccessChange)> apply;
  std::function<void(int attempts, int lockout_minutes)> pin_policy;
};

class DbWorker {
 public:
  DbWorker(std::string conninfo, ControllerStatus& status, AccessSink sink,
           std::function<void(Error)> on_fatal);
  ~DbWorker();
  DbWorker(const DbWorker&) = delete;
  DbWorker& operator=(const DbWorker&) = delete;

  void start();
  void stop();

 private:
  void run();
  bool stopping();
  // Waits up to `d`; returns false as soon as stop() is called.
  bool wait_for(std::chrono::milliseconds d);
  Status full_reload(db::Connection& conn);
  Status handle(db::Connection& conn, const std::string& payload);
  Status sweep_unused(db::Connection& conn);
  Status send_reader_security(db::Connection& conn);
  std::vector<std::string> reader_ids_;

  const std::string conninfo_;
  ControllerStatus& status_;
  AccessSink sink_;
  std::function<void(Error)> on_fatal_;
  std::mutex mutex_;
  std::condition_variable cv_;
  bool stopping_ = false;
  int suspend_unused_days_ = 0;
  std::chrono::steady_clock::time_point next_sweep_{};
  std::thread thread_;
};

}  // namespace gatehouse::controller
