// The bus thread: connect, poll, write, and the link rules of docs/modbus.md.
//
// Everything below ModbusBus::Impl's "bus thread only" line runs on the bus
// thread alone; the queue of writes is the only state shared with callers.
#include "controller/doors/modbus_bus.h"

#include <modbus/modbus.h>
#include <poll.h>
#include <pthread.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <atomic>
#include <cerrno>
#include <cstdlib>
#include <ctime>
#include <deque>
#include <functional>
#include <map>
#include <mutex>
#include <optional>
#include <set>
#include <thread>
#include <utility>

#include "base/log.h"
#include "controller/doors/modbus_error.h"
#include "controller/doors/modbus_frame.h"
#include "controller/doors/modbus_link.h"
#include "site/values.h"

namespace gatehouse::controller::doors {
namespace {

using Steady = std::chrono::steady_clock;
using std::chrono::milliseconds;

constexpr std::size_t kNoModule = static_cast<std::size_t>(-1);
constexpr int kMaxAddress = 65535;
// Large enough for any Modbus TCP or RTU frame (libmodbus's MAX_MESSAGE_LENGTH).
constexpr std::size_t kMaxAdu = MODBUS_TCP_MAX_ADU_LENGTH;

Error invalid(std::string message) {
  return make_error(ErrorKind::kInvalidInput, std::move(message));
}
Error unavailable(std::string message) {
  return make_error(ErrorKind::kUnavailable, std::move(message));
}

std::string quoted(std::string_view s) {
  std::string out = "'";
  out += s;
  out += '\'';
  return out;
}

std::string module_name(const site::IoModule& m) {
  return "io module " + quoted(m.id);
}

timespec to_timespec(Steady::duration d) {
  auto ns = std::chrono::duration_cast<std::chrono::nanoseconds>(d).count();
  if (ns < 0) ns = 0;
  return timespec{static_cast<time_t>(ns / 1'000'000'000), static_cast<long>(ns % 1'000'000'000)};
}

struct Module {
  site::IoModule cfg;
  LinkTracker link;
  Backoff probe{kBackoffFirst, kBackoffCap};  // while offline and silent, others on the line fine
  Steady::time_point next_poll{};
  // Where in its period the module is polled after the first poll (1..poll_ms):
  // buses started together would otherwise poll in step forever, and a grant
  // arriving during that burst would queue behind every bus at once.
  milliseconds phase{};
  bool first_poll = true;
};

// Spreads the modules of all buses over their poll periods: by the line's
// hash (different buses land apart) and by the module's place on its line.
milliseconds poll_phase(const std::string& line, std::size_t index, std::size_t count,
                        int poll_ms) {
  const std::size_t period = static_cast<std::size_t>(poll_ms);
  const std::size_t spread = period * index / std::max<std::size_t>(count, 1);
  return milliseconds(1 + static_cast<int>((std::hash<std::string>{}(line) + spread) % period));
}

struct PendingWrite {
  std::size_t module = kNoModule;
  std::string module_id;
  int coil = 0;
  bool value = false;
  std::function<void(Status)> done;
};

// What a request came to.
struct Outcome {
  int err = 0;             // 0, a libmodbus errno, or ECANCELED when stopping
  bool link_lost = false;  // the bus went down over it (already reported)
};

// The serial settings of an rtu:// endpoint, already validated by the parser.
struct SerialSettings {
  int baud = 9600;
  char parity = 'N';
  int data = 8;
  int stop = 1;
};

SerialSettings serial_settings(const site::detail::Endpoint& ep) {
  SerialSettings s;
  for (const auto& [name, value] : ep.params) {
    // The parser allowed only the listed values: digits, or N/E/O.
    if (name == "baud") s.baud = std::atoi(value.c_str());
    if (name == "parity") s.parity = value.empty() ? 'N' : value[0];
    if (name == "data") s.data = std::atoi(value.c_str());
    if (name == "stop") s.stop = std::atoi(value.c_str());
  }
  return s;
}

}  // namespace

class ModbusBus::Impl {
 public:
  Impl(std::string line, Framing framing, modbus_t* ctx, std::vector<site::IoModule> modules,
       IoCallbacks callbacks, const Clock& clock, int wake_fd)
      : line_(std::move(line)),
        framing_(framing),
        callbacks_(std::move(callbacks)),
        clock_(clock),
        wake_fd_(wake_fd),
        ctx_(ctx) {
    for (auto& cfg : modules) {
      configs_.push_back(cfg);
      Module m{std::move(cfg), {}, {kBackoffFirst, kBackoffCap}, {}, {}, true};
      m.phase = poll_phase(line_, modules_.size(), modules.size(), m.cfg.poll_ms);
      modules_.push_back(std::move(m));
    }
  }

  ~Impl() {
    stop();
    modbus_free(ctx_);
    ::close(wake_fd_);
  }

  void start() {
    std::lock_guard lock(mu_);
    if (started_ || !accepting_) return;
    started_ = true;
    thread_ = std::thread([this] { run(); });
  }

  void stop() {
    {
      std::lock_guard lock(mu_);
      accepting_ = false;
    }
    stop_.store(true);
    wake();
    if (thread_.joinable()) thread_.join();
    // Never started: the queue is still full and no bus thread will empty it.
    fail_all_writes();
  }

  void write_coil(const std::string& module_id, int coil, bool value,
                  std::function<void(Status)> done) {
    PendingWrite w{index_of(module_id), module_id, coil, value, std::move(done)};
    {
      std::unique_lock lock(mu_);
      if (accepting_) {
        writes_.push_back(std::move(w));
        lock.unlock();
        wake();
        return;
      }
    }
    if (w.done) w.done(unavailable("the Modbus bus " + line_ + " is stopped"));
  }

  const std::string& line() const { return line_; }
  const std::vector<site::IoModule>& modules() const { return configs_; }

  std::chrono::nanoseconds cpu_time() const {
    if (!thread_.joinable()) return {};
    clockid_t id{};
    // const_cast: native_handle() is not const, but only reads the id.
    auto handle = const_cast<std::thread&>(thread_).native_handle();
    timespec ts{};
    if (pthread_getcpuclockid(handle, &id) != 0 || clock_gettime(id, &ts) != 0) return {};
    return std::chrono::seconds(ts.tv_sec) + std::chrono::nanoseconds(ts.tv_nsec);
  }

 private:
  std::size_t index_of(const std::string& module_id) const {
    for (std::size_t i = 0; i < configs_.size(); ++i) {
      if (configs_[i].id == module_id) return i;
    }
    return kNoModule;
  }

  void wake() {
    std::uint64_t one = 1;
    // Best effort: an eventfd write only fails when the counter would
    // overflow, and then the thread is awake anyway.
    [[maybe_unused]] auto n = ::write(wake_fd_, &one, sizeof one);
  }

  void drain_wake() {
    std::uint64_t count = 0;
    [[maybe_unused]] auto n = ::read(wake_fd_, &count, sizeof count);
  }

  // ---- Writes: the queue is shared; completion happens on the bus thread. ----

  std::optional<PendingWrite> pop_write() {
    std::lock_guard lock(mu_);
    if (writes_.empty()) return std::nullopt;
    PendingWrite w = std::move(writes_.front());
    writes_.pop_front();
    return w;
  }

  void serve_writes() {
    while (!stop_.load()) {
      std::optional<PendingWrite> w = pop_write();
      if (!w) return;
      Status st = execute_write(*w);
      if (w->done) w->done(std::move(st));
    }
  }

  // The answer a write gets without touching the line, if it has one.
  std::optional<Status> settle_without_io(const PendingWrite& w) const {
    if (w.module == kNoModule) {
      return invalid("no io module " + quoted(w.module_id) + " on the Modbus bus " + line_);
    }
    const site::IoModule& cfg = modules_[w.module].cfg;
    if (w.coil < 0 || cfg.coil_base + w.coil > kMaxAddress) {
      return invalid("coil " + std::to_string(w.coil) + " of " + module_name(cfg) +
                     " is outside its register map (coil_base " + std::to_string(cfg.coil_base) +
                     ", addresses up to 65535)");
    }
    const LinkTracker& link = modules_[w.module].link;
    if (link.state() == LinkState::kOffline) {
      return unavailable(module_name(cfg) + " is offline: " + link.reason());
    }
    return std::nullopt;
  }

  // Completes, at once, the queued writes that need no I/O (offline module,
  // unknown module or coil): called while the thread waits on the line.
  void settle_waiting_writes() {
    std::vector<std::pair<PendingWrite, Status>> settled;
    {
      std::lock_guard lock(mu_);
      for (auto it = writes_.begin(); it != writes_.end();) {
        if (auto st = settle_without_io(*it)) {
          settled.emplace_back(std::move(*it), std::move(*st));
          it = writes_.erase(it);
        } else {
          ++it;
        }
      }
    }
    for (auto& [w, st] : settled) {
      if (w.done) w.done(std::move(st));
    }
  }

  void fail_all_writes() {
    std::deque<PendingWrite> left;
    {
      std::lock_guard lock(mu_);
      left.swap(writes_);
    }
    for (auto& w : left) {
      if (w.done) w.done(unavailable("the Modbus bus " + line_ + " stopped"));
    }
  }

  Status execute_write(const PendingWrite& w) {
    if (auto st = settle_without_io(w)) return std::move(*st);
    Module& m = modules_[w.module];
    const int address = m.cfg.coil_base + w.coil;
    const std::string coil = "coil " + std::to_string(w.coil) + " of " + module_name(m.cfg);

    Outcome wrote = transact(m, Request::write_coil(m.cfg.unit, address, w.value), attempts(m));
    if (wrote.err != 0) return failed("writing " + coil, wrote.err);

    const Request read_back = Request::read_coils(m.cfg.unit, address, 1);
    Outcome read = transact(m, read_back, attempts(m));
    if (read.err != 0) return failed("reading back " + coil, read.err);
    const bool is = answer_bits(framing_, read_back, answer())[0];
    if (is != w.value) {
      std::string message = coil;
      message += is ? " reads back 1 after writing 0" : " reads back 0 after writing 1";
      message += " (the output did not follow: a lock or relay fault?)";
      return make_error(ErrorKind::kConflict, std::move(message));
    }
    return {};
  }

  Status failed(const std::string& what, int err) const {
    if (err == ECANCELED) return unavailable(what + ": the Modbus bus " + line_ + " stopped");
    return modbus_error(err, what);
  }

  // ---- Bus thread only below. ----

  void run() {
    const auto now = Steady::now();
    for (auto& m : modules_) m.next_poll = now;
    next_connect_ = now;
    while (!stop_.load()) {
      serve_writes();
      if (stop_.load()) break;
      const auto t = Steady::now();
      if (!connected_) {
        if (t < next_connect_) {
          wait_until(next_connect_);
        } else {
          connect();
        }
        continue;
      }
      Module& due = *std::min_element(modules_.begin(), modules_.end(),
                                      [](auto& a, auto& b) { return a.next_poll < b.next_poll; });
      if (due.next_poll <= t) {
        poll(due);
      } else {
        wait_until(due.next_poll);
      }
    }
    close_ctx();
    fail_all_writes();
  }

  int attempts(const Module& m) const {
    // An offline module is probed once per period; retries are for a module
    // believed to be there.
    return m.link.state() == LinkState::kOffline ? 1 : 1 + m.cfg.retries;
  }

  void poll(Module& m) {
    const Request req = Request::read_inputs(m.cfg.unit, m.cfg.input_base, m.cfg.input_count);
    Outcome out = transact(m, req, attempts(m));
    const auto now = Steady::now();
    if (out.err == ECANCELED || out.link_lost) return;  // reported; the reconnect polls again
    if (out.err == 0) {
      connect_backoff_.reset();
      m.probe.reset();
      report(m, m.link.good_poll());
      if (callbacks_.on_inputs) {
        callbacks_.on_inputs(m.cfg.id, answer_bits(framing_, req, answer()), clock_.mono());
      }
      schedule(m, now);
      return;
    }
    report(m, m.link.failed_poll(out.err));
    if (m.link.state() == LinkState::kOffline && !m.link.refusing()) {
      m.next_poll = now + m.probe.next();
    } else {
      schedule(m, now);
    }
    // Every module silent: the line itself may be the trouble. Start again
    // from a fresh connection, with backoff.
    bool all_silent = std::all_of(modules_.begin(), modules_.end(), [](const Module& x) {
      return x.link.state() == LinkState::kOffline && !x.link.refusing();
    });
    if (all_silent) go_down();
  }

  static void schedule(Module& m, Steady::time_point now) {
    if (m.first_poll) {  // at once after start; from now on, at the module's phase
      m.first_poll = false;
      m.next_poll = now + m.phase;
      return;
    }
    // Keep the cadence, but never catch up with a burst after a slow poll.
    auto next = m.next_poll + milliseconds(m.cfg.poll_ms);
    m.next_poll = next > now ? next : now + milliseconds(m.cfg.poll_ms);
  }

  // One request with its retries.
  Outcome transact(Module& m, const Request& req, int tries) {
    Outcome out;
    for (int i = 0; i < tries; ++i) {
      if (stop_.load()) return {ECANCELED, false};
      if (!connected_ && !connect()) return {last_connect_errno_, true};
      out.err = exchange(m, req);
      if (out.err == 0 || out.err == ECANCELED) return out;
      switch (classify(out.err)) {
        case Fault::kLinkDown: {
          std::string reason = "connection lost (";
          reason += modbus_strerror(out.err);
          reason += ")";
          lose_link(reason);
          return {out.err, true};
        }
        case Fault::kException:
        case Fault::kLocal:
          return out;  // a definite answer: asking again changes nothing
        case Fault::kNoAnswer:
        case Fault::kBadAnswer:
          discard_late_answers();
          break;
      }
    }
    return out;
  }

  // Sends req and waits for its answer, awake to stop() and to writes that can
  // be settled at once. 0 or a libmodbus errno (ECANCELED when stopping).
  int exchange(const Module& m, const Request& req) {
    // RTU: libmodbus drops answers from any unit but this one (returns 0).
    modbus_set_slave(ctx_, m.cfg.unit);
    const auto raw = req.raw();
    if (modbus_send_raw_request(ctx_, raw.data(), static_cast<int>(raw.size())) == -1) {
      return errno;
    }
    const auto deadline = Steady::now() + milliseconds(m.cfg.timeout_ms);
    const int fd = modbus_get_socket(ctx_);
    for (;;) {
      const auto left = deadline - Steady::now();
      if (left <= Steady::duration::zero()) return ETIMEDOUT;
      std::array<pollfd, 2> fds{pollfd{fd, POLLIN, 0}, pollfd{wake_fd_, POLLIN, 0}};
      const timespec ts = to_timespec(left);
      const int rc = ::ppoll(fds.data(), fds.size(), &ts, nullptr);
      if (rc < 0 && errno != EINTR) return errno;
      if (fds[1].revents & POLLIN) {
        drain_wake();
        if (stop_.load()) return ECANCELED;
        settle_waiting_writes();
      }
      // Readable or hung up: libmodbus reads and says which.
      if (fds[0].revents != 0) break;
    }
    // The rest of the frame must arrive within what is left of timeout_ms
    // (the byte timeout is off, so this bounds the whole answer).
    auto left = std::chrono::duration_cast<std::chrono::microseconds>(deadline - Steady::now());
    left = std::max(left, std::chrono::microseconds(1000));
    modbus_set_response_timeout(ctx_, static_cast<std::uint32_t>(left.count() / 1'000'000),
                                static_cast<std::uint32_t>(left.count() % 1'000'000));
    const int n = modbus_receive_confirmation(ctx_, answer_.data());
    if (n == -1) return errno;
    if (n == 0) return EMBBADSLAVE;
    answer_length_ = static_cast<std::size_t>(n);
    return check_answer(framing_, req, answer());
  }

  std::span<const std::uint8_t> answer() const { return {answer_.data(), answer_length_}; }

  bool connect() {
    int timeout_ms = 0;
    for (const auto& m : modules_) timeout_ms = std::max(timeout_ms, m.cfg.timeout_ms);
    // libmodbus bounds a TCP connect by the response timeout.
    modbus_set_response_timeout(ctx_, static_cast<std::uint32_t>(timeout_ms / 1000),
                                static_cast<std::uint32_t>(timeout_ms % 1000 * 1000));
    if (modbus_connect(ctx_) == -1) {
      int err = errno;
      if (err == EINPROGRESS) err = ETIMEDOUT;  // libmodbus's connect timed out
      last_connect_errno_ = err;
      std::string reason = framing_ == Framing::kTcp ? "cannot connect to " : "cannot open ";
      reason += line_;
      reason += " (";
      reason += modbus_strerror(err);
      reason += ")";
      lose_link(reason);
      return false;
    }
    modbus_set_byte_timeout(ctx_, 0, 0);
    connected_ = true;
    if (down_) {
      down_ = false;
      const auto now = Steady::now();
      for (auto& m : modules_) m.next_poll = now;  // find out at once who is back
    }
    return true;
  }

  // A request went unanswered or was answered with garbage: whatever is still
  // on its way must not be taken for the next answer. Over TCP a new
  // connection guarantees it (the next request reconnects, without backoff);
  // on a serial line, drop what the port holds.
  void discard_late_answers() {
    if (framing_ == Framing::kTcp) {
      close_ctx();
    } else {
      modbus_flush(ctx_);
    }
  }

  // The connection is gone or refused: every module still believed online is
  // reported offline once, and the bus reconnects after a backoff.
  void lose_link(const std::string& reason) {
    for (auto& m : modules_) report(m, m.link.link_lost(reason));
    go_down();
  }

  void go_down() {
    close_ctx();
    down_ = true;
    next_connect_ = Steady::now() + connect_backoff_.next();
  }

  void close_ctx() {
    if (connected_) modbus_close(ctx_);
    connected_ = false;
  }

  void wait_until(Steady::time_point t) {
    const auto left = t - Steady::now();
    if (left <= Steady::duration::zero()) return;
    pollfd p{wake_fd_, POLLIN, 0};
    const timespec ts = to_timespec(left);
    if (::ppoll(&p, 1, &ts, nullptr) > 0 && (p.revents & POLLIN)) drain_wake();
  }

  void report(Module& m, const std::optional<LinkChange>& change) {
    if (!change) return;
    log(change->online ? LogLevel::kInfo : LogLevel::kWarn, "modbus",
        change->online ? "io module online" : "io module offline",
        {{"module", m.cfg.id}, {"line", line_}, {"reason", change->reason}});
    if (callbacks_.on_link)
      callbacks_.on_link(m.cfg.id, change->online, change->reason, clock_.mono());
  }

  const std::string line_;
  const Framing framing_;
  std::vector<site::IoModule> configs_;  // immutable after construction: read by any thread
  const IoCallbacks callbacks_;
  const Clock& clock_;
  const int wake_fd_;  // eventfd: a write was queued, or stop

  std::mutex mu_;
  std::deque<PendingWrite> writes_;  // guarded by mu_
  bool accepting_ = true;            // guarded by mu_
  bool started_ = false;             // guarded by mu_
  std::atomic<bool> stop_{false};
  std::thread thread_;

  // Bus thread only (and modules_ link states, read by settle_without_io on
  // the bus thread too).
  modbus_t* ctx_;
  std::vector<Module> modules_;
  bool connected_ = false;
  bool down_ = true;  // not connected since start or since the link was lost
  Steady::time_point next_connect_{};
  Backoff connect_backoff_{kBackoffFirst, kBackoffCap};
  int last_connect_errno_ = 0;
  std::array<std::uint8_t, kMaxAdu> answer_{};
  std::size_t answer_length_ = 0;
};

// ---- ModbusBus ----

Result<std::unique_ptr<ModbusBus>> ModbusBus::create(std::vector<site::IoModule> modules,
                                                     IoCallbacks callbacks, const Clock& clock) {
  if (modules.empty()) return invalid("a Modbus bus needs at least one io module");
  std::optional<site::detail::Endpoint> line;
  std::set<int> units;
  for (const auto& m : modules) {
    auto ep = site::detail::parse_modbus_endpoint(m.modbus);
    if (!ep.ok()) return invalid(module_name(m) + ": " + ep.error().message);
    if (!line) line = *ep;
    if (ep->identity() != line->identity() || ep->settings() != line->settings()) {
      return invalid(module_name(m) + " is on " + ep->identity() + " " + ep->settings() +
                     ", not on " + line->identity() + " " + line->settings());
    }
    if (!units.insert(m.unit).second) {
      return invalid(module_name(m) + ": unit " + std::to_string(m.unit) + " is taken on " +
                     line->identity());
    }
    if (m.unit < 0 || m.unit > 247 || (ep->serial && m.unit == 0)) {
      return invalid(module_name(m) + ": unit " + std::to_string(m.unit) +
                     " cannot be polled (1 to 247; 0 is the RTU broadcast address)");
    }
    if (m.coil_base < 0 || m.coil_base > kMaxAddress || m.input_base < 0 || m.input_count < 1 ||
        m.input_count > MODBUS_MAX_READ_BITS || m.input_base + m.input_count - 1 > kMaxAddress) {
      return invalid(module_name(m) + ": the register map (coil_base " +
                     std::to_string(m.coil_base) + ", input_base " + std::to_string(m.input_base) +
                     ", input_count " + std::to_string(m.input_count) +
                     ") leaves addresses 0 to 65535");
    }
    if (m.poll_ms < 1 || m.timeout_ms < 1 || m.retries < 0) {
      return invalid(module_name(m) + ": poll_ms and timeout_ms must be positive, retries >= 0");
    }
  }

  modbus_t* ctx = nullptr;
  Framing framing = Framing::kTcp;
  if (line->serial) {
    const SerialSettings s = serial_settings(*line);
    ctx = modbus_new_rtu(line->device.c_str(), s.baud, s.parity, s.data, s.stop);
    framing = Framing::kRtu;
  } else {
    ctx = modbus_new_tcp_pi(line->host.c_str(), std::to_string(line->port).c_str());
  }
  if (ctx == nullptr)
    return modbus_error(errno, "creating the Modbus context for " + line->identity());
  modbus_set_error_recovery(ctx, MODBUS_ERROR_RECOVERY_NONE);  // the bus decides, not libmodbus

  const int wake_fd = ::eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
  if (wake_fd < 0) {
    const int err = errno;
    modbus_free(ctx);
    return make_error(ErrorKind::kInternal, std::string("eventfd: ") + modbus_strerror(err));
  }
  auto impl = std::make_unique<Impl>(line->identity(), framing, ctx, std::move(modules),
                                     std::move(callbacks), clock, wake_fd);
  return std::unique_ptr<ModbusBus>(new ModbusBus(std::move(impl)));
}

ModbusBus::ModbusBus(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
ModbusBus::~ModbusBus() = default;  // ~Impl stops and joins

void ModbusBus::start() {
  impl_->start();
}
void ModbusBus::stop() {
  impl_->stop();
}
void ModbusBus::write_coil(const std::string& module_id, int coil, bool value,
                           std::function<void(Status)> done) {
  impl_->write_coil(module_id, coil, value, std::move(done));
}
const std::string& ModbusBus::line() const {
  return impl_->line();
}
const std::vector<site::IoModule>& ModbusBus::modules() const {
  return impl_->modules();
}
std::chrono::nanoseconds ModbusBus::cpu_time() const {
  return impl_->cpu_time();
}

// ---- ModbusIo ----

Result<std::unique_ptr<ModbusIo>> ModbusIo::create(const std::vector<site::IoModule>& modules,
                                                   IoCallbacks callbacks, const Clock& clock) {
  std::map<std::string, std::vector<site::IoModule>> by_line;
  std::vector<std::string> order;  // lines in the order the site names them
  for (const auto& m : modules) {
    auto ep = site::detail::parse_modbus_endpoint(m.modbus);
    if (!ep.ok()) return invalid(module_name(m) + ": " + ep.error().message);
    auto [it, fresh] = by_line.try_emplace(ep->identity());
    if (fresh) order.push_back(ep->identity());
    it->second.push_back(m);
  }
  std::unique_ptr<ModbusIo> io(new ModbusIo());
  for (const auto& line : order) {
    auto bus = ModbusBus::create(std::move(by_line[line]), callbacks, clock);
    if (!bus.ok()) return bus.error();
    for (const auto& m : (*bus)->modules()) io->by_module_[m.id] = bus->get();
    io->buses_.push_back(std::move(*bus));
  }
  return io;
}

ModbusIo::~ModbusIo() {
  stop();
}

void ModbusIo::start() {
  for (auto& bus : buses_) bus->start();
}

void ModbusIo::stop() {
  for (auto& bus : buses_) bus->stop();
}

void ModbusIo::write_coil(const std::string& module_id, int coil, bool value,
                          std::function<void(Status)> done) {
  auto it = by_module_.find(module_id);
  if (it != by_module_.end()) {
    it->second->write_coil(module_id, coil, value, std::move(done));
  } else if (!buses_.empty()) {
    buses_.front()->write_coil(module_id, coil, value, std::move(done));  // says "no io module"
  } else if (done) {
    done(invalid("no io module " + quoted(module_id) + " (the site has none)"));
  }
}

}  // namespace gatehouse::controller::doors
