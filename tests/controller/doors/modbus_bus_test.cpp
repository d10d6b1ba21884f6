// The Modbus buses against a real Modbus server (tests/support/modbus_server:
// libmodbus's own server side), over TCP on loopback and over RTU on a
// pseudo-terminal. What a user would notice: inputs arrive, a lock coil is
// confirmed or refused, a misbehaving module raises one offline report (with
// the reason) and comes back by itself, and stopping never hangs.
//
// No timing assertions: every wait is bounded (kLimit) and waits for an event.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <chrono>
#include <condition_variable>
#include <functional>
#include <future>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "controller/doors/modbus_bus.h"
#include "controller/doors/modbus_frame.h"
#include "tests/support/modbus_server.h"

namespace gatehouse::controller::doors {
namespace {

using test_support::ModbusServer;
using ::testing::HasSubstr;
using Fault = ModbusServer::Fault;
using namespace std::chrono_literals;

constexpr auto kLimit = 20s;  // generous: the machine is shared; events take milliseconds

struct LinkEvent {
  std::string module;
  bool online = false;
  std::string reason;
};

// Collects what the buses report, from their threads.
class Recorder {
 public:
  IoCallbacks callbacks() {
    IoCallbacks cb;
    cb.on_inputs = [this](const std::string& id, const std::vector<bool>& bits, MonoTime) {
      std::lock_guard lock(mu_);
      inputs_[id] = bits;
      ++polls_[id];
      cv_.notify_all();
    };
    cb.on_link = [this](const std::string& id, bool online, const std::string& reason, MonoTime) {
      std::lock_guard lock(mu_);
      links_.push_back({id, online, reason});
      cv_.notify_all();
    };
    return cb;
  }

  bool wait(const std::function<bool()>& done) {
    std::unique_lock lock(mu_);
    return cv_.wait_for(lock, kLimit, done);
  }
  // Waits for the module's n-th link event; true when it came.
  bool wait_links(const std::string& id, std::size_t n) {
    return wait([&] { return count_links(id) >= n; });
  }
  bool wait_polls(const std::string& id, int n) {
    return wait([&] { return polls_[id] >= n; });
  }
  bool wait_input(const std::string& id, int index, bool value) {
    return wait([&] {
      auto it = inputs_.find(id);
      return it != inputs_.end() && static_cast<int>(it->second.size()) > index &&
             it->second[static_cast<std::size_t>(index)] == value;
    });
  }

  std::vector<LinkEvent> links(const std::string& id) {
    std::lock_guard lock(mu_);
    std::vector<LinkEvent> out;
    for (const auto& e : links_) {
      if (e.module == id) out.push_back(e);
    }
    return out;
  }
  int polls(const std::string& id) {
    std::lock_guard lock(mu_);
    return polls_[id];
  }

 private:
  std::size_t count_links(const std::string& id) const {  // under mu_
    std::size_t n = 0;
    for (const auto& e : links_) n += e.module == id ? 1 : 0;
    return n;
  }

  std::mutex mu_;
  std::condition_variable cv_;
  std::map<std::string, std::vector<bool>> inputs_;
  std::map<std::string, int> polls_;
  std::vector<LinkEvent> links_;
};

// write_coil and wait (bounded) for done().
Status write(CoilWriter& io, const std::string& module, int coil, bool value) {
  auto promise = std::make_shared<std::promise<Status>>();
  auto future = promise->get_future();
  io.write_coil(module, coil, value, [promise](Status st) { promise->set_value(std::move(st)); });
  if (future.wait_for(kLimit) != std::future_status::ready) {
    return make_error(ErrorKind::kInternal, "done() was not called within the limit");
  }
  return future.get();
}

enum class Transport { kTcp, kRtu };

std::string transport_name(const testing::TestParamInfo<Transport>& info) {
  return info.param == Transport::kTcp ? "Tcp" : "Rtu";
}

class ModbusBusTest : public testing::TestWithParam<Transport> {
 protected:
  bool tcp() const { return GetParam() == Transport::kTcp; }

  void serve(std::vector<ModbusServer::Unit> units) {
    auto server = tcp() ? ModbusServer::tcp(std::move(units)) : ModbusServer::rtu(std::move(units));
    ASSERT_TRUE(server.ok()) << server.error().to_string();
    server_ = std::move(*server);
  }

  site::IoModule module(std::string id, int unit) const {
    site::IoModule m;
    m.id = std::move(id);
    m.modbus = server_->url();
    m.unit = unit;
    m.poll_ms = 20;
    m.timeout_ms = 60;
    m.retries = 1;
    m.input_count = 16;
    return m;
  }

  void start(std::vector<site::IoModule> modules) {
    auto io = ModbusIo::create(modules, recorder_.callbacks());
    ASSERT_TRUE(io.ok()) << io.error().to_string();
    io_ = std::move(*io);
    io_->start();
  }

  // The module answers: its first link event is "online".
  void expect_online_first(const std::string& id) {
    ASSERT_TRUE(recorder_.wait_links(id, 1));
    auto links = recorder_.links(id);
    EXPECT_TRUE(links[0].online) << links[0].reason;
    EXPECT_EQ(links[0].reason, "answering");
  }

  Recorder recorder_;
  std::unique_ptr<ModbusServer> server_;
  std::unique_ptr<ModbusIo> io_;  // declared last: stopped before the server goes
};

TEST_P(ModbusBusTest, InputsAreReportedEveryPoll) {
  serve({{.id = 1}});
  start({module("io-1", 1)});
  expect_online_first("io-1");
  server_->set_input(1, 3, true);
  ASSERT_TRUE(recorder_.wait_input("io-1", 3, true));
  const int polls = recorder_.polls("io-1");
  ASSERT_TRUE(recorder_.wait_polls("io-1", polls + 3)) << "polling goes on";
  server_->set_input(1, 3, false);
  server_->set_input(1, 15, true);
  ASSERT_TRUE(recorder_.wait_input("io-1", 15, true));
  ASSERT_TRUE(recorder_.wait_input("io-1", 3, false));
  EXPECT_EQ(recorder_.links("io-1").size(), 1u) << "online once, nothing else";
}

TEST_P(ModbusBusTest, CoilWriteIsConfirmedByReadBack) {
  serve({{.id = 1}});
  start({module("io-1", 1)});
  Status on = write(*io_, "io-1", 2, true);
  ASSERT_TRUE(on.ok()) << on.error().to_string();
  EXPECT_TRUE(server_->coil(1, 2));
  EXPECT_GE(server_->requests(1, kWriteSingleCoil), 1);
  EXPECT_GE(server_->requests(1, kReadCoils), 1) << "the write was read back";
  Status off = write(*io_, "io-1", 2, false);
  ASSERT_TRUE(off.ok()) << off.error().to_string();
  EXPECT_FALSE(server_->coil(1, 2));
}

TEST_P(ModbusBusTest, RegisterMapComesFromTheSite) {
  serve({{.id = 1, .coils = 8, .inputs = 8, .coil_base = 100, .input_base = 200}});
  site::IoModule m = module("io-1", 1);
  m.coil_base = 100;
  m.input_base = 200;
  m.input_count = 8;
  start({m});
  server_->set_input(1, 5, true);  // address 205
  ASSERT_TRUE(recorder_.wait_input("io-1", 5, true));
  Status st = write(*io_, "io-1", 1, true);  // address 101
  ASSERT_TRUE(st.ok()) << st.error().to_string();
  EXPECT_TRUE(server_->coil(1, 1));
  // A coil the module does not have: it says so (exception 2), and that is the caller's error.
  Status missing = write(*io_, "io-1", 8, true);
  ASSERT_FALSE(missing.ok());
  EXPECT_EQ(missing.error().kind, ErrorKind::kInvalidInput);
  EXPECT_THAT(missing.error().message, HasSubstr("Modbus exception 2: illegal data address"));
}

TEST_P(ModbusBusTest, ReadBackMismatchIsAConflict) {
  serve({{.id = 1}});
  start({module("io-1", 1)});
  server_->set_lock_fault(1, 4, true);
  Status st = write(*io_, "io-1", 4, true);
  ASSERT_FALSE(st.ok());
  EXPECT_EQ(st.error().kind, ErrorKind::kConflict);
  EXPECT_THAT(st.error().message,
              HasSubstr("coil 4 of io module 'io-1' reads back 0 after writing 1"));
  EXPECT_FALSE(server_->coil(1, 4));
  server_->set_lock_fault(1, 4, false);
  Status again = write(*io_, "io-1", 4, true);
  EXPECT_TRUE(again.ok()) << again.error().to_string();
}

TEST_P(ModbusBusTest, UnknownModuleAndCoilAreInvalidInput) {
  serve({{.id = 1}});
  start({module("io-1", 1)});
  Status unknown = write(*io_, "io-9", 0, true);
  ASSERT_FALSE(unknown.ok());
  EXPECT_EQ(unknown.error().kind, ErrorKind::kInvalidInput);
  EXPECT_THAT(unknown.error().message, HasSubstr("no io module 'io-9'"));
  Status negative = write(*io_, "io-1", -1, true);
  ASSERT_FALSE(negative.ok());
  EXPECT_EQ(negative.error().kind, ErrorKind::kInvalidInput);
}

struct FaultCase {
  Fault fault;
  const char* reason;      // over TCP
  const char* rtu_reason;  // over RTU, if different
};

// Each misbehaviour: offline is reported once with the reason, the bus keeps
// trying, and the module comes back by itself when the server behaves.
TEST_P(ModbusBusTest, MisbehavingModuleGoesOfflineOnceAndComesBack) {
  const FaultCase cases[] = {
      {Fault::kException, "Modbus exception 2: illegal data address", nullptr},
      {Fault::kWrongUnit, "no valid answer for 3 polls (Response not from requested slave)",
       nullptr},
      {Fault::kGarbage, "no valid answer for 3 polls (Invalid data)",
       "no valid answer for 3 polls (Invalid CRC)"},
      {Fault::kTruncated, "no answer for 3 polls (Connection timed out)", nullptr},
      {Fault::kSilent, "no answer for 3 polls (Connection timed out)", nullptr},
      {Fault::kDrop, "connection lost (Connection reset by peer)",
       "no answer for 3 polls (Connection timed out)"},
  };
  serve({{.id = 1}});
  start({module("io-1", 1)});
  expect_online_first("io-1");
  std::size_t events = 1;
  for (const FaultCase& c : cases) {
    SCOPED_TRACE(c.reason);
    server_->set_fault(c.fault);
    ASSERT_TRUE(recorder_.wait_links("io-1", events + 1));
    LinkEvent offline = recorder_.links("io-1")[events];
    EXPECT_FALSE(offline.online);
    EXPECT_EQ(offline.reason, tcp() || c.rtu_reason == nullptr ? c.reason : c.rtu_reason);

    // The bus keeps asking, and says nothing more while the module misbehaves.
    const int seen = server_->requests(1);
    ASSERT_TRUE(server_->wait_requests(1, 0, seen + 3, kLimit));
    EXPECT_EQ(recorder_.links("io-1").size(), events + 1);

    server_->clear_fault();
    ASSERT_TRUE(recorder_.wait_links("io-1", events + 2));
    LinkEvent back = recorder_.links("io-1")[events + 1];
    EXPECT_TRUE(back.online);
    EXPECT_EQ(back.reason, "answering");
    events += 2;
    Status st = write(*io_, "io-1", 0, true);
    EXPECT_TRUE(st.ok()) << "writes work again: " << st.error().to_string();
  }
}

TEST_P(ModbusBusTest, WriteWhileOfflineIsUnavailableWithoutTouchingTheLine) {
  serve({{.id = 1}});
  site::IoModule m = module("io-1", 1);
  m.timeout_ms = 10000;  // the bus spends most of its time waiting on the silent module
  m.retries = 0;
  start({m});
  expect_online_first("io-1");
  server_->set_fault(Fault::kException, 0, 4);  // server failure: offline, still answering fast
  ASSERT_TRUE(recorder_.wait_links("io-1", 2));
  server_->set_fault(Fault::kSilent);
  ASSERT_TRUE(server_->wait_requests(1, kReadDiscreteInputs, server_->requests(1) + 1, kLimit));
  // A poll is now outstanding (up to 10 s); the write must not wait for it.
  const int writes_before = server_->requests(1, kWriteSingleCoil);
  auto promise = std::make_shared<std::promise<Status>>();
  auto future = promise->get_future();
  io_->write_coil("io-1", 0, true, [promise](Status st) { promise->set_value(std::move(st)); });
  ASSERT_EQ(future.wait_for(2s), std::future_status::ready)
      << "kUnavailable comes at once, not after the outstanding poll's 10 s timeout";
  Status st = future.get();
  ASSERT_FALSE(st.ok());
  EXPECT_EQ(st.error().kind, ErrorKind::kUnavailable);
  EXPECT_THAT(st.error().message, HasSubstr("io module 'io-1' is offline: Modbus exception 4"));
  EXPECT_EQ(server_->requests(1, kWriteSingleCoil), writes_before);
  EXPECT_FALSE(server_->coil(1, 0));
}

TEST_P(ModbusBusTest, TwoUnitsShareOneLine) {
  serve({{.id = 1}, {.id = 2}});
  start({module("io-a", 1), module("io-b", 2)});
  ASSERT_EQ(io_->buses().size(), 1u) << "one endpoint, one bus";
  expect_online_first("io-a");
  expect_online_first("io-b");
  server_->set_input(1, 0, true);
  server_->set_input(2, 1, true);
  ASSERT_TRUE(recorder_.wait_input("io-a", 0, true));
  ASSERT_TRUE(recorder_.wait_input("io-b", 1, true));
  ASSERT_TRUE(recorder_.wait_input("io-a", 1, false));

  server_->set_fault(Fault::kSilent, 2);
  ASSERT_TRUE(recorder_.wait_links("io-b", 2));
  EXPECT_FALSE(recorder_.links("io-b")[1].online);
  Status st = write(*io_, "io-a", 7, true);
  ASSERT_TRUE(st.ok()) << "unit 1 is unaffected: " << st.error().to_string();
  EXPECT_TRUE(server_->coil(1, 7));
  EXPECT_FALSE(server_->coil(2, 7));
  const int polls = recorder_.polls("io-a");
  ASSERT_TRUE(recorder_.wait_polls("io-a", polls + 5));
  EXPECT_EQ(recorder_.links("io-a").size(), 1u) << "io-a never went offline";

  server_->clear_fault();
  ASSERT_TRUE(recorder_.wait_links("io-b", 3));
  EXPECT_TRUE(recorder_.links("io-b")[2].online);
}

TEST_P(ModbusBusTest, StopJoinsPromptlyWhileARequestIsOutstanding) {
  serve({{.id = 1}});
  site::IoModule m = module("io-1", 1);
  m.timeout_ms = 10000;
  start({m});
  expect_online_first("io-1");
  server_->set_fault(Fault::kSilent);
  ASSERT_TRUE(server_->wait_requests(1, 0, server_->requests(1) + 1, kLimit));
  // The bus is now waiting up to 10 s for an answer; a write queues behind it.
  auto promise = std::make_shared<std::promise<Status>>();
  auto queued = promise->get_future();
  io_->write_coil("io-1", 1, true, [promise](Status st) { promise->set_value(std::move(st)); });
  auto stopped = std::async(std::launch::async, [this] { io_->stop(); });
  ASSERT_EQ(stopped.wait_for(3s), std::future_status::ready)
      << "stop() waited for the outstanding request";
  ASSERT_EQ(queued.wait_for(0s), std::future_status::ready) << "every write completes";
  Status st = queued.get();
  ASSERT_FALSE(st.ok());
  EXPECT_EQ(st.error().kind, ErrorKind::kUnavailable);
  // After stop, write_coil still answers (on the caller's thread).
  EXPECT_EQ(write(*io_, "io-1", 1, true).error().kind, ErrorKind::kUnavailable);
}

INSTANTIATE_TEST_SUITE_P(Transports, ModbusBusTest,
                         testing::Values(Transport::kTcp, Transport::kRtu), transport_name);

// ---- TCP only: connections ----

TEST(ModbusTcp, ServerDownAtStartIsOfflineThenOnlineWhenItComes) {
  int port = 0;
  {
    auto probe = ModbusServer::tcp({{.id = 1}});
    ASSERT_TRUE(probe.ok());
    port = (*probe)->port();
  }  // closed: nothing listens on the port now
  site::IoModule m;
  m.id = "io-1";
  m.modbus = "tcp://127.0.0.1:" + std::to_string(port);
  m.poll_ms = 20;
  m.timeout_ms = 60;
  Recorder recorder;
  auto io = ModbusIo::create({m}, recorder.callbacks());
  ASSERT_TRUE(io.ok());
  (*io)->start();
  ASSERT_TRUE(recorder.wait_links("io-1", 1));
  EXPECT_FALSE(recorder.links("io-1")[0].online);
  EXPECT_EQ(recorder.links("io-1")[0].reason,
            "cannot connect to " + m.modbus + " (Connection refused)");
  Status st = write(**io, "io-1", 0, true);
  EXPECT_EQ(st.error().kind, ErrorKind::kUnavailable);

  auto server = ModbusServer::tcp({{.id = 1}}, port);
  ASSERT_TRUE(server.ok()) << server.error().to_string();
  ASSERT_TRUE(recorder.wait_links("io-1", 2));
  EXPECT_TRUE(recorder.links("io-1")[1].online);
  Status ok = write(**io, "io-1", 0, true);
  EXPECT_TRUE(ok.ok()) << ok.error().to_string();
  (*io)->stop();
}

TEST(ModbusTcp, ModulesOnDifferentEndpointsGetABusEach) {
  auto a = ModbusServer::tcp({{.id = 1}});
  auto b = ModbusServer::tcp({{.id = 1}});
  ASSERT_TRUE(a.ok() && b.ok());
  site::IoModule m1;
  m1.id = "io-1";
  m1.modbus = (*a)->url();
  site::IoModule m2 = m1;
  m2.id = "io-2";
  m2.modbus = (*b)->url();
  Recorder recorder;
  auto io = ModbusIo::create({m1, m2}, recorder.callbacks());
  ASSERT_TRUE(io.ok());
  ASSERT_EQ((*io)->buses().size(), 2u);
  (*io)->start();
  EXPECT_TRUE(write(**io, "io-2", 3, true).ok());
  EXPECT_TRUE((*b)->coil(1, 3));
  EXPECT_FALSE((*a)->coil(1, 3));
}

// ---- What the factory refuses ----

TEST(ModbusBusCreate, RefusesWhatCannotWork) {
  auto mod = [](std::string id, std::string url, int unit) {
    site::IoModule m;
    m.id = std::move(id);
    m.modbus = std::move(url);
    m.unit = unit;
    return m;
  };
  const std::string line = "rtu:///dev/ttyUSB0?baud=9600&parity=N&data=8&stop=1";
  struct Case {
    std::vector<site::IoModule> modules;
    const char* message;
  };
  const Case cases[] = {
      {{mod("a", line, 0)}, "0 is the RTU broadcast address"},
      {{mod("a", line, 1), mod("b", line, 1)}, "unit 1 is taken on /dev/ttyUSB0"},
      {{mod("a", line, 1), mod("b", "rtu:///dev/ttyUSB0?baud=19200&parity=N&data=8&stop=1", 2)},
       "io module 'b' is on /dev/ttyUSB0 baud=19200"},
      {{mod("a", "tcp://127.0.0.1", 1)}, "the port is missing"},
  };
  for (const Case& c : cases) {
    auto io = ModbusIo::create(c.modules, {});
    ASSERT_FALSE(io.ok()) << c.message;
    EXPECT_EQ(io.error().kind, ErrorKind::kInvalidInput);
    EXPECT_THAT(io.error().message, HasSubstr(c.message));
  }
  site::IoModule past_the_end = mod("a", "tcp://127.0.0.1:502", 1);
  past_the_end.input_base = 65000;
  past_the_end.input_count = 1000;
  auto io = ModbusIo::create({past_the_end}, {});
  ASSERT_FALSE(io.ok());
  EXPECT_THAT(io.error().message, HasSubstr("leaves addresses 0 to 65535"));
}

}  // namespace
}  // namespace gatehouse::controller::doors
