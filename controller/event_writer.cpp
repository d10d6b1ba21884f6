#include "controller/event_writer.h"

#include <algorithm>
#include <nlohmann/json.hpp>

#include "base/hex.h"
#include "base/log.h"
#include "db/badge_store.h"
#include "db/door_store.h"
#include "db/event_store.h"

namespace gatehouse::controller {
namespace {

using nlohmann::json;

constexpr std::chrono::milliseconds kFlushPeriod{100};
constexpr std::chrono::milliseconds kFirstBackoff{500};
constexpr std::chrono::milliseconds kMaxBackoff{10'000};
constexpr std::size_t kMaxBatch = 2000;

// One journal line per decision: the event row and its side effects.
std::string to_journal_line(const access::Decision& d) {
  json j = {{"at", d.at.us},
            {"door", d.door_id.str()},
            {"reader", d.reader_id.str()},
            {"granted", d.granted},
            {"reason", std::string(access::reason_code(d.reason))}};
  if (!d.credential.empty()) j["credential"] = d.credential.str();
  if (!d.raw_bits.empty()) j["raw"] = d.raw_bits.str();
  if (d.badge_id != 0) j["badge"] = d.badge_id;
  if (d.person_id != 0) j["person"] = d.person_id;
  if (d.effects.pin_state_changed) j["pin_ok"] = d.effects.pin_ok;
  if (d.effects.last_used_at) j["used_at"] = d.effects.last_used_at->us;
  return j.dump();
}

std::string to_journal_line(const DoorRecord& r) {
  const char* op = r.op == DoorRecord::Op::kRaiseAlarm   ? "raise"
                   : r.op == DoorRecord::Op::kClearAlarm ? "clear"
                                                         : "event";
  json j = {{"type", "door"}, {"op", op},         {"at", r.at.us},
            {"door", r.door_id}, {"kind", r.kind}, {"detail", r.detail}};
  if (r.operator_name) j["operator"] = *r.operator_name;
  return j.dump();
}

// Sealed keys only: the journal never holds a key in the clear.
std::string to_journal_line(const db::SealedKey& k) {
  return json{{"type", "reader_key"}, {"reader", k.reader_id}, {"ciphertext", to_hex(k.ciphertext)},
              {"nonce", to_hex(k.nonce)}, {"set_by", k.set_by}}
      .dump();
}

struct StoredRecord {
  db::AccessEventRow row;
  std::optional<bool> pin_ok;
  std::optional<WallTime> used_at;
};

// A door record read back from the journal: the event row, or an alarm operation.
struct StoredDoorRecord {
  std::string op;  // "event", "raise", "clear"
  db::DoorEventRow row;
};

Result<StoredDoorRecord> door_from_journal(const json& j, const JournalRecord& rec,
                                           const std::string& journal_id) {
  StoredDoorRecord out;
  out.op = j.value("op", "");
  if (out.op != "event" && out.op != "raise" && out.op != "clear") {
    return make_error(ErrorKind::kInvalidInput,
                      "journal record " + std::to_string(rec.seq) + " has an unknown door op");
  }
  out.row.occurred_at = WallTime{j.value("at", std::int64_t{0})};
  out.row.door_id = j.value("door", "");
  out.row.kind = j.value("kind", "");
  out.row.detail = j.value("detail", "");
  if (j.contains("operator") && j["operator"].is_string()) {
    out.row.operator_name = j["operator"].get<std::string>();
  }
  out.row.event_key = journal_id + ":" + std::to_string(rec.seq);
  return out;
}

Result<StoredRecord> from_journal(const json& j, const JournalRecord& rec,
                                  const std::string& journal_id) {
  if (!j.contains("at") || !j.contains("reason")) {
    return make_error(ErrorKind::kInvalidInput,
                      "journal record " + std::to_string(rec.seq) + " is not an event");
  }
  StoredRecord out;
  db::AccessEventRow& r = out.row;
  r.occurred_at = WallTime{j.value("at", std::int64_t{0})};
  r.door_id = j.value("door", "");
  r.reader_id = j.value("reader", "");
  r.granted = j.value("granted", false);
  r.reason = j.value("reason", "");
  if (j.contains("credential")) r.credential = j["credential"].get<std::string>();
  if (j.contains("raw")) r.raw_bits = j["raw"].get<std::string>();
  if (j.contains("badge")) r.badge_id = j["badge"].get<std::int64_t>();
  if (j.contains("person")) r.person_id = j["person"].get<std::int64_t>();
  r.event_key = journal_id + ":" + std::to_string(rec.seq);
  if (j.contains("pin_ok")) out.pin_ok = j["pin_ok"].get<bool>();
  if (j.contains("used_at")) out.used_at = WallTime{j["used_at"].get<std::int64_t>()};
  return out;
}

}  // namespace

Result<std::unique_ptr<EventWriter>> EventWriter::open(std::string conninfo,
                                                       const std::filesystem::path& journal_dir,
                                                       int pin_attempts, int pin_lockout_minutes) {
  auto journal = EventJournal::open(journal_dir);
  if (!journal.ok()) return journal.error();
  if (journal->torn_records_dropped() > 0) {
    log(LogLevel::kWarn, "events", "journal had a torn tail (a write cut short); dropped",
        {{"records", std::to_string(journal->torn_records_dropped())}});
  }
  if (!journal->pending().empty()) {
    log(LogLevel::kInfo, "events", "journaled events not yet stored; storing them first",
        {{"events", std::to_string(journal->pending().size())}});
  }
  std::unique_ptr<EventWriter> w(new EventWriter(std::move(conninfo), std::move(journal).value()));
  w->set_pin_policy(pin_attempts, pin_lockout_minutes);
  w->counters_.pending = static_cast<std::int64_t>(w->journal_.pending().size());
  return w;
}

EventWriter::EventWriter(std::string conninfo, EventJournal journal)
    : conninfo_(std::move(conninfo)), journal_(std::move(journal)) {}

EventWriter::~EventWriter() { stop(); }

void EventWriter::start() { thread_ = std::thread([this] { run(); }); }

void EventWriter::stop() {
  {
    std::lock_guard lock(mutex_);
    stopping_ = true;
  }
  cv_.notify_all();
  if (thread_.joinable()) thread_.join();
}

void EventWriter::submit(db::SealedKey key) {
  {
    std::lock_guard lock(mutex_);
    queue_.push_back(std::move(key));
  }
  cv_.notify_one();
}

void EventWriter::submit(DoorRecord record) {
  {
    std::lock_guard lock(mutex_);
    queue_.push_back(std::move(record));
    ++counters_.submitted;
  }
  cv_.notify_one();
}

void EventWriter::submit(const access::Decision& decision) {
  {
    std::lock_guard lock(mutex_);
    queue_.push_back(decision);
    ++counters_.submitted;
  }
  cv_.notify_one();
}

void EventWriter::set_pin_policy(int attempts, int lockout_minutes) {
  std::lock_guard lock(mutex_);
  pin_attempts_ = attempts;
  pin_lockout_minutes_ = lockout_minutes;
}

EventWriterCounters EventWriter::counters() const {
  std::lock_guard lock(mutex_);
  return counters_;
}

void EventWriter::journal_queued() {
  std::deque<std::variant<access::Decision, DoorRecord, db::SealedKey>> batch;
  {
    std::lock_guard lock(mutex_);
    batch.swap(queue_);
  }
  if (batch.empty()) return;
  std::vector<std::string> lines;
  lines.reserve(batch.size());
  for (const auto& item : batch) {
    lines.push_back(std::visit([](const auto& x) { return to_journal_line(x); }, item));
  }
  auto appended = journal_.append(lines);
  if (!appended.ok()) {
    // The disk refused: keep the events in memory (front of the queue, in order)
    // and try again; they are still stored once the journal accepts them.
    log(LogLevel::kError, "events", "cannot journal events; keeping them in memory",
        {{"error", appended.error().message}, {"events", std::to_string(batch.size())}});
    std::lock_guard lock(mutex_);
    for (auto it = batch.rbegin(); it != batch.rend(); ++it) queue_.push_front(*it);
    return;
  }
  std::lock_guard lock(mutex_);
  counters_.journaled += static_cast<std::int64_t>(batch.size());
  counters_.pending = static_cast<std::int64_t>(journal_.pending().size());
}

Status EventWriter::store_pending() {
  if (journal_.pending().empty()) return {};
  if (!conn_) {
    auto conn = db::Connection::open(conninfo_);
    if (!conn.ok()) return conn.error();
    conn_.emplace(std::move(conn).value());
  }
  int attempts;
  int lockout;
  {
    std::lock_guard lock(mutex_);
    attempts = pin_attempts_;
    lockout = pin_lockout_minutes_;
  }
  std::size_t n = std::min(journal_.pending().size(), kMaxBatch);
  std::vector<db::AccessEventRow> rows;
  std::vector<StoredRecord> records;
  std::vector<StoredDoorRecord> door_records;
  std::vector<db::SealedKey> keys;
  std::uint64_t last_seq = 0;
  for (std::size_t i = 0; i < n; ++i) {
    const JournalRecord& rec = journal_.pending()[i];
    last_seq = rec.seq;
    json j = json::parse(rec.text, nullptr, /*allow_exceptions=*/false);
    if (j.is_object() && j.value("type", "") == "reader_key") {
      db::SealedKey k;
      k.reader_id = j.value("reader", "");
      auto ciphertext = from_hex(j.value("ciphertext", ""));
      auto nonce = from_hex(j.value("nonce", ""));
      if (!ciphertext || !nonce) {
        log(LogLevel::kError, "events", "skipping unreadable journal record",
            {{"seq", std::to_string(rec.seq)}, {"error", "reader key is not hex"}});
        continue;
      }
      k.ciphertext = std::move(*ciphertext);
      k.nonce = std::move(*nonce);
      k.set_by = j.value("set_by", "controller");
      keys.push_back(std::move(k));
      continue;
    }
    if (j.is_object() && j.value("type", "") == "door") {
      auto door = door_from_journal(j, rec, journal_.id());
      if (door.ok()) {
        door_records.push_back(std::move(door).value());
        continue;
      }
      log(LogLevel::kError, "events", "skipping unreadable journal record",
          {{"seq", std::to_string(rec.seq)}, {"error", door.error().message}});
      continue;
    }
    auto parsed = j.is_object() ? from_journal(j, rec, journal_.id())
                                : Result<StoredRecord>(make_error(
                                      ErrorKind::kInvalidInput,
                                      "journal record " + std::to_string(rec.seq) + " is not JSON"));
    if (!parsed.ok()) {
      // Never a crash, never a silent loss: the unreadable line stays in the journal file.
      log(LogLevel::kError, "events", "skipping unreadable journal record",
          {{"seq", std::to_string(rec.seq)}, {"error", parsed.error().message}});
      continue;
    }
    rows.push_back(parsed->row);
    records.push_back(std::move(parsed).value());
  }

  auto tx = db::Transaction::begin(*conn_);
  if (!tx.ok()) return tx.error();
  if (Status s = db::insert_access_events(*conn_, rows); !s.ok()) return s;
  std::vector<std::int64_t> used;
  WallTime latest_use{0};
  for (const auto& r : records) {
    if (r.pin_ok && r.row.badge_id) {
      auto pin = db::record_pin_result(*conn_, *r.row.badge_id, *r.pin_ok, attempts,
                                       std::chrono::minutes(lockout), r.row.occurred_at);
      if (!pin.ok() && pin.error().kind != ErrorKind::kNotFound) return pin.error();
    }
    if (r.used_at && r.row.badge_id) {
      used.push_back(*r.row.badge_id);
      latest_use = std::max(latest_use, *r.used_at);
    }
  }
  std::vector<db::DoorEventRow> door_events;
  for (const auto& d : door_records) {
    if (d.op == "event") door_events.push_back(d.row);
  }
  if (Status s = db::insert_door_events(*conn_, door_events); !s.ok()) return s;
  for (const auto& d : door_records) {
    if (d.op == "raise") {
      auto raised = db::raise_alarm(*conn_, d.row.door_id, d.row.kind, d.row.occurred_at);
      if (!raised.ok()) return raised.error();
    } else if (d.op == "clear") {
      if (Status s = db::clear_alarm_condition(*conn_, d.row.door_id, d.row.kind, d.row.occurred_at);
          !s.ok()) {
        return s;
      }
    }
  }
  for (const auto& k : keys) {
    Status stored = db::store_reader_key(*conn_, k);
    if (!stored.ok() && stored.error().kind != ErrorKind::kNotFound) return stored;
    if (Status s = db::disable_install_mode(*conn_, k.reader_id); !s.ok()) return s;
  }
  if (!used.empty()) {
    std::sort(used.begin(), used.end());
    used.erase(std::unique(used.begin(), used.end()), used.end());
    auto touched = db::touch_last_used(*conn_, used, latest_use);
    if (!touched.ok()) return touched.error();
  }
  if (Status s = tx->commit(); !s.ok()) return s;
  if (Status s = journal_.commit(last_seq); !s.ok()) {
    // Stored but not marked: a replay stores nothing twice (event keys are unique).
    log(LogLevel::kError, "events", "cannot write the journal commit mark",
        {{"error", s.error().message}});
  }
  std::lock_guard lock(mutex_);
  counters_.stored += static_cast<std::int64_t>(rows.size() + door_events.size());
  counters_.pending = static_cast<std::int64_t>(journal_.pending().size());
  return {};
}

void EventWriter::run() {
  auto flush = [this] {
    journal_queued();
    if (std::chrono::steady_clock::now() < next_store_attempt_) return;
    while (!journal_.pending().empty()) {
      Status stored = store_pending();
      if (stored.ok()) {
        backoff_ = std::chrono::milliseconds{0};
        continue;
      }
      conn_.reset();
      backoff_ = backoff_.count() == 0 ? kFirstBackoff : std::min(backoff_ * 2, kMaxBackoff);
      next_store_attempt_ = std::chrono::steady_clock::now() + backoff_;
      {
        std::lock_guard lock(mutex_);
        ++counters_.store_failures;
      }
      log(LogLevel::kWarn, "events", "cannot store events; they stay journaled",
          {{"error", stored.error().message},
           {"pending", std::to_string(journal_.pending().size())},
           {"retry_in_ms", std::to_string(backoff_.count())}});
      return;
    }
  };
  while (true) {
    {
      std::unique_lock lock(mutex_);
      cv_.wait_for(lock, kFlushPeriod, [this] { return stopping_ || !queue_.empty(); });
      if (stopping_) break;
    }
    flush();
  }
  // Final flush: everything queued reaches the journal; the database gets one try.
  next_store_attempt_ = {};
  flush();
  if (!journal_.pending().empty()) {
    log(LogLevel::kWarn, "events", "stopping with events journaled but not stored; stored at next start",
        {{"pending", std::to_string(journal_.pending().size())}});
  }
}

}  // namespace gatehouse::controller
