// A local, append-only journal of events not yet stored in PostgreSQL, so that
// neither a database outage nor a controller crash loses one.
//
// Ordered procedure (see docs/events.md):
//   1. append(): each record gets the next sequence number; the batch is
//      written and fdatasync'ed before append() returns;
//   2. the caller inserts the batch into PostgreSQL, idempotently (each event
//      carries "<journal id>:<seq>" as a unique key, so a replay after a crash
//      between steps 2 and 3 inserts nothing twice);
//   3. commit(seq) records that everything up to seq is in the database
//      (written to a side file by write + fsync + rename + directory fsync).
// On open, pending() returns every record after the committed sequence. When
// everything is committed and the file has grown past a limit, it is truncated.
//
// Records are single lines of text (the caller's JSON); a torn last line after
// a crash (no newline) is dropped with a count, never misread.
//
// Thread safety: one thread (the event writer) owns the journal.
#pragma once

#include <cstdint>
#include <filesystem>
#include <string>
#include <vector>

#include "base/result.h"

namespace gatehouse::controller {

struct JournalRecord {
  std::uint64_t seq = 0;
  std::string text;
};

class EventJournal {
 public:
  static Result<EventJournal> open(const std::filesystem::path& dir, std::string journal_id = "");
  EventJournal(EventJournal&&) noexcept;
  EventJournal& operator=(EventJournal&&) noexcept;
  EventJournal(const EventJournal&) = delete;
  EventJournal& operator=(const EventJournal&) = delete;
  ~EventJournal();

  // A stable id for this journal (random, made on first open), for event keys.
  const std::string& id() const { return id_; }

  // Appends and syncs; returns the records with their sequence numbers.
  Result<std::vector<JournalRecord>> append(const std::vector<std::string>& texts);
  Status commit(std::uint64_t seq);
  // Records after the committed sequence, in order.
  const std::vector<JournalRecord>& pending() const { return pending_; }
  std::uint64_t committed() const { return committed_; }
  int torn_records_dropped() const { return torn_; }

 private:
  EventJournal() = default;
  Status load();
  Status truncate_if_done();

  std::filesystem::path dir_;
  std::string id_;
  int fd_ = -1;
  std::uint64_t next_seq_ = 1;
  std::uint64_t committed_ = 0;
  std::vector<JournalRecord> pending_;
  int torn_ = 0;
};

}  // namespace gatehouse::controller
