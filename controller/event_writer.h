// The event writer: takes decisions from the reactor and makes them durable,
// on a thread of its own (journal fsync and libpq both block). The procedure is
// in docs/events.md: journal (fdatasync) -> insert into access_events with a
// unique event key -> commit mark. The decision's side effects (PIN result,
// last use) are applied in the same transaction as the insert.
//
// Thread safety: submit() may be called from any thread (the reactor); the rest
// from the owner. Lifetime: stop() joins the thread after a bounded final flush.
#pragma once

#include <condition_variable>
#include <deque>
#include <variant>
#include <filesystem>
#include <mutex>
#include <optional>
#include <string>
#include <thread>

#include "base/result.h"
#include "controller/access/decision.h"
#include "controller/event_journal.h"
#include "controller/status.h"
#include "db/pg.h"
#include "db/reader_key_store.h"

namespace gatehouse::controller {

// A door's event (input change, lock command, mode change, alarm condition) or
// an alarm operation, as the door layer reports it.
struct DoorRecord {
  enum class Op { kEvent, kRaiseAlarm, kClearAlarm };
  Op op = Op::kEvent;
  WallTime at;
  std::string door_id;
  std::string kind;  // the event kind, or the alarm kind
  std::string detail;
  std::optional<std::string> operator_name;
};

struct EventWriterCounters {
  std::int64_t submitted = 0;
  std::int64_t journaled = 0;
  std::int64_t stored = 0;
  std::int64_t pending = 0;  // journaled, not yet in the database
  std::int64_t store_failures = 0;
};

class EventWriter {
 public:
  // Opens (and replays the pending part of) the journal under `journal_dir`.
  static Result<std::unique_ptr<EventWriter>> open(std::string conninfo,
                                                   const std::filesystem::path& journal_dir,
                                                   int pin_attempts, int pin_lockout_minutes);
  ~EventWriter();

  void start();
  void stop();
  void submit(const access::Decision& decision);
  void submit(DoorRecord record);
  // A reader's new Secure Channel key, sealed (never the key itself): stored,
  // and the reader's install mode ended, in one transaction.
  void submit(db::SealedKey key);
  // PIN policy of the loaded site, used when PIN results are stored.
  void set_pin_policy(int attempts, int lockout_minutes);
  EventWriterCounters counters() const;

 private:
  EventWriter(std::string conninfo, EventJournal journal);
  void run();
  void journal_queued();
  Status store_pending();

  const std::string conninfo_;
  EventJournal journal_;
  std::optional<db::Connection> conn_;
  std::thread thread_;
  mutable std::mutex mutex_;
  std::condition_variable cv_;
  std::deque<std::variant<access::Decision, DoorRecord, db::SealedKey>> queue_;
  bool stopping_ = false;
  int pin_attempts_ = 5;
  int pin_lockout_minutes_ = 15;
  EventWriterCounters counters_;
  std::chrono::milliseconds backoff_{0};
  std::chrono::steady_clock::time_point next_store_attempt_{};
};

}  // namespace gatehouse::controller
