#include "controller/event_journal.h"

#include <fcntl.h>
#include <sodium.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <fstream>
#include <sstream>

#include "base/hex.h"

namespace gatehouse::controller {
namespace {

constexpr off_t kTruncateAfterBytes = 16 * 1024 * 1024;

Error io_error(const std::string& what, const std::filesystem::path& path) {
  return make_error(ErrorKind::kIo, what + " " + path.string() + ": " + std::strerror(errno));
}

Status fsync_path(const std::filesystem::path& path, int flags) {
  int fd = ::open(path.c_str(), flags | O_CLOEXEC);
  if (fd < 0) return io_error("cannot open", path);
  int rc = ::fsync(fd);
  ::close(fd);
  if (rc != 0) return io_error("cannot fsync", path);
  return {};
}

// Writes a small file so that a crash leaves either the old or the new content.
Status write_atomically(const std::filesystem::path& path, const std::string& content) {
  auto tmp = path;
  tmp += ".tmp";
  int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
  if (fd < 0) return io_error("cannot create", tmp);
  bool ok = ::write(fd, content.data(), content.size()) == static_cast<ssize_t>(content.size()) &&
            ::fsync(fd) == 0;
  ::close(fd);
  if (!ok) return io_error("cannot write", tmp);
  if (::rename(tmp.c_str(), path.c_str()) != 0) return io_error("cannot rename", tmp);
  return fsync_path(path.parent_path(), O_RDONLY | O_DIRECTORY);
}

Status write_all(int fd, const std::string& data, const std::filesystem::path& path) {
  std::size_t done = 0;
  while (done < data.size()) {
    ssize_t n = ::write(fd, data.data() + done, data.size() - done);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return io_error("cannot append to", path);
    done += static_cast<std::size_t>(n);
  }
  return {};
}

std::string random_id() {
  unsigned char bytes[8];
  randombytes_buf(bytes, sizeof bytes);
  return to_hex(bytes);
}

}  // namespace

EventJournal::EventJournal(EventJournal&& o) noexcept { *this = std::move(o); }

EventJournal& EventJournal::operator=(EventJournal&& o) noexcept {
  if (this != &o) {
    if (fd_ >= 0) ::close(fd_);
    dir_ = std::move(o.dir_);
    id_ = std::move(o.id_);
    fd_ = o.fd_;
    o.fd_ = -1;
    next_seq_ = o.next_seq_;
    committed_ = o.committed_;
    pending_ = std::move(o.pending_);
    torn_ = o.torn_;
  }
  return *this;
}

EventJournal::~EventJournal() {
  if (fd_ >= 0) ::close(fd_);
}

Result<EventJournal> EventJournal::open(const std::filesystem::path& dir, std::string journal_id) {
  if (sodium_init() < 0) return make_error(ErrorKind::kInternal, "libsodium failed to initialise");
  std::error_code ec;
  std::filesystem::create_directories(dir, ec);
  if (ec) return make_error(ErrorKind::kIo, "cannot create " + dir.string() + ": " + ec.message());
  EventJournal j;
  j.dir_ = dir;
  // The id survives restarts so that replayed events keep their keys.
  std::ifstream id_in(dir / "journal.id");
  if (!(id_in >> j.id_)) {
    j.id_ = journal_id.empty() ? random_id() : journal_id;
    if (Status s = write_atomically(dir / "journal.id", j.id_ + "\n"); !s.ok()) return s.error();
  }
  if (Status s = j.load(); !s.ok()) return s.error();
  j.fd_ = ::open((dir / "events.journal").c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0600);
  if (j.fd_ < 0) return io_error("cannot open", dir / "events.journal");
  return j;
}

Status EventJournal::load() {
  std::ifstream committed_in(dir_ / "committed");
  committed_in >> committed_;
  next_seq_ = committed_ + 1;

  std::ifstream in(dir_ / "events.journal", std::ios::binary);
  if (!in) return {};
  std::stringstream ss;
  ss << in.rdbuf();
  std::string data = ss.str();
  std::size_t pos = 0;
  std::size_t good_end = 0;
  while (pos < data.size()) {
    std::size_t nl = data.find('\n', pos);
    if (nl == std::string::npos) {
      ++torn_;  // a write cut short by a crash: never synced, never acknowledged
      break;
    }
    std::string line = data.substr(pos, nl - pos);
    pos = nl + 1;
    auto space = line.find(' ');
    std::uint64_t seq = 0;
    bool parsed = space != std::string::npos && space > 0;
    for (std::size_t i = 0; parsed && i < space; ++i) {
      if (line[i] < '0' || line[i] > '9') parsed = false;
      else seq = seq * 10 + static_cast<std::uint64_t>(line[i] - '0');
    }
    if (!parsed) {
      ++torn_;
      continue;
    }
    good_end = pos;
    if (seq >= next_seq_) next_seq_ = seq + 1;
    if (seq > committed_) pending_.push_back({seq, line.substr(space + 1)});
  }
  if (good_end < data.size()) {
    // Cut the torn tail so the next append starts on a line boundary.
    if (::truncate((dir_ / "events.journal").c_str(), static_cast<off_t>(good_end)) != 0) {
      return io_error("cannot truncate", dir_ / "events.journal");
    }
  }
  return {};
}

Result<std::vector<JournalRecord>> EventJournal::append(const std::vector<std::string>& texts) {
  std::vector<JournalRecord> records;
  std::string data;
  for (const auto& t : texts) {
    if (t.find('\n') != std::string::npos) {
      return make_error(ErrorKind::kInvalidInput, "a journal record must be one line");
    }
    JournalRecord r{next_seq_++, t};
    data += std::to_string(r.seq) + " " + t + "\n";
    records.push_back(std::move(r));
  }
  if (Status s = write_all(fd_, data, dir_ / "events.journal"); !s.ok()) return s.error();
  if (::fdatasync(fd_) != 0) return io_error("cannot sync", dir_ / "events.journal");
  pending_.insert(pending_.end(), records.begin(), records.end());
  return records;
}

Status EventJournal::commit(std::uint64_t seq) {
  if (seq <= committed_) return {};
  if (Status s = write_atomically(dir_ / "committed", std::to_string(seq) + "\n"); !s.ok()) return s;
  committed_ = seq;
  std::erase_if(pending_, [seq](const JournalRecord& r) { return r.seq <= seq; });
  return truncate_if_done();
}

Status EventJournal::truncate_if_done() {
  if (!pending_.empty()) return {};
  struct stat st {};
  if (::fstat(fd_, &st) != 0 || st.st_size < kTruncateAfterBytes) return {};
  // Everything in the file is committed; the committed file keeps the sequence going.
  if (::ftruncate(fd_, 0) != 0) return io_error("cannot truncate", dir_ / "events.journal");
  if (::fsync(fd_) != 0) return io_error("cannot sync", dir_ / "events.journal");
  return {};
}

}  // namespace gatehouse::controller
