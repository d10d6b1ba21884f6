// The Modbus edge without a socket: libmodbus errors as values, the checks an
// answer must pass (frames written out byte by byte from the Modbus
// specifications: MODBUS Application Protocol v1.1b3 and Messaging on TCP/IP
// v1.0b), the link state machine and the backoff, and the in-memory peer.
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <modbus/modbus.h>

#include <cerrno>
#include <string>
#include <vector>

#include "controller/doors/modbus_error.h"
#include "controller/doors/modbus_frame.h"
#include "controller/doors/modbus_link.h"
#include "controller/doors/modbus_memory.h"

namespace gatehouse::controller::doors {
namespace {

using ::testing::HasSubstr;
using Bytes = std::vector<std::uint8_t>;

// ---- Errors ----

TEST(ModbusErrors, EveryLibmodbusCodeHasAKindAndAFault) {
  struct Case {
    int errnum;
    ErrorKind kind;
    Fault fault;
  };
  const Case cases[] = {
      {EMBXILFUN, ErrorKind::kInvalidInput, Fault::kException},
      {EMBXILADD, ErrorKind::kInvalidInput, Fault::kException},
      {EMBXILVAL, ErrorKind::kInvalidInput, Fault::kException},
      {EMBXSFAIL, ErrorKind::kUnavailable, Fault::kException},
      {EMBXSBUSY, ErrorKind::kUnavailable, Fault::kException},
      {EMBXGPATH, ErrorKind::kUnavailable, Fault::kException},
      {EMBXGTAR, ErrorKind::kUnavailable, Fault::kException},
      {ETIMEDOUT, ErrorKind::kUnavailable, Fault::kNoAnswer},
      {EMBBADCRC, ErrorKind::kUnavailable, Fault::kBadAnswer},
      {EMBBADDATA, ErrorKind::kUnavailable, Fault::kBadAnswer},
      {EMBBADEXC, ErrorKind::kUnavailable, Fault::kBadAnswer},
      {EMBMDATA, ErrorKind::kUnavailable, Fault::kBadAnswer},
      {EMBBADSLAVE, ErrorKind::kUnavailable, Fault::kBadAnswer},
      {ECONNRESET, ErrorKind::kUnavailable, Fault::kLinkDown},
      {ECONNREFUSED, ErrorKind::kUnavailable, Fault::kLinkDown},
      {EPIPE, ErrorKind::kUnavailable, Fault::kLinkDown},
      {EIO, ErrorKind::kUnavailable, Fault::kLinkDown},
      {ENOENT, ErrorKind::kIo, Fault::kLinkDown},
      {EACCES, ErrorKind::kIo, Fault::kLinkDown},
      {EINVAL, ErrorKind::kInternal, Fault::kLocal},
  };
  for (const Case& c : cases) {
    EXPECT_EQ(modbus_error_kind(c.errnum), c.kind) << modbus_strerror(c.errnum);
    EXPECT_EQ(classify(c.errnum), c.fault) << modbus_strerror(c.errnum);
  }
}

TEST(ModbusErrors, KeepLibmodbusMessage) {
  Error e = modbus_error(EMBBADCRC, "reading inputs of io module 'io-1'");
  EXPECT_EQ(e.kind, ErrorKind::kUnavailable);
  EXPECT_EQ(e.message, "reading inputs of io module 'io-1': Invalid CRC");
  EXPECT_EQ(modbus_error(EMBXILADD, "writing coil 9").message,
            "writing coil 9: Modbus exception 2: illegal data address");
  EXPECT_EQ(modbus_error_code(ETIMEDOUT).message(), "Connection timed out");
  EXPECT_STREQ(modbus_error_code(EMBBADSLAVE).category().name(), "modbus");
  EXPECT_EQ(describe_exception(EMBXSBUSY), "Modbus exception 6: slave device or server is busy");
  EXPECT_EQ(describe_exception(ETIMEDOUT), "");
}

// ---- Answers ----

TEST(ModbusFrames, RawRequestsAreUnitFunctionAddressValue) {
  EXPECT_EQ(Request::read_inputs(17, 0x00C4, 22).raw(),
            (std::array<std::uint8_t, 6>{17, 0x02, 0x00, 0xC4, 0x00, 0x16}));
  EXPECT_EQ(Request::write_coil(17, 0x00AC, true).raw(),
            (std::array<std::uint8_t, 6>{17, 0x05, 0x00, 0xAC, 0xFF, 0x00}));
  EXPECT_EQ(Request::write_coil(1, 3, false).raw(),
            (std::array<std::uint8_t, 6>{1, 0x05, 0x00, 0x03, 0x00, 0x00}));
}

// The specification's example: read discrete inputs 197-218 (address 0xC4,
// 22 inputs) answered with 0xAC 0xDB 0x35.
TEST(ModbusFrames, ReadInputsAnswerOverTcpIsCheckedAndDecoded) {
  const Request req = Request::read_inputs(17, 0x00C4, 22);
  const Bytes ok = {0x00, 0x00, 0x00, 0x00, 0x00, 0x06, 17, 0x02, 0x03, 0xAC, 0xDB, 0x35};
  ASSERT_EQ(check_answer(Framing::kTcp, req, ok), 0);
  std::vector<bool> bits = answer_bits(Framing::kTcp, req, ok);
  ASSERT_EQ(bits.size(), 22u);
  // 0xAC = 1010 1100: inputs 204..197 read from the high bit down.
  EXPECT_EQ(bits[0], false);
  EXPECT_EQ(bits[2], true);
  EXPECT_EQ(bits[3], true);
  EXPECT_EQ(bits[7], true);
  EXPECT_EQ(bits[8], true);    // 0xDB bit 0
  EXPECT_EQ(bits[16], true);   // 0x35 bit 0
  EXPECT_EQ(bits[21], true);   // 0x35 bit 5
  EXPECT_EQ(bits[17], false);  // 0x35 bit 1

  Bytes other_unit = ok;
  other_unit[6] = 18;
  EXPECT_EQ(check_answer(Framing::kTcp, req, other_unit), EMBBADSLAVE);
  Bytes other_transaction = ok;
  other_transaction[1] = 7;
  EXPECT_EQ(check_answer(Framing::kTcp, req, other_transaction), EMBBADDATA);
  Bytes bad_length_field = ok;
  bad_length_field[5] = 9;
  EXPECT_EQ(check_answer(Framing::kTcp, req, bad_length_field), EMBBADDATA);
  Bytes short_count = {0x00, 0x00, 0x00, 0x00, 0x00, 0x05, 17, 0x02, 0x02, 0xAC, 0xDB};
  EXPECT_EQ(check_answer(Framing::kTcp, req, short_count), EMBBADDATA);
  Bytes other_function = ok;
  other_function[7] = 0x01;
  EXPECT_EQ(check_answer(Framing::kTcp, req, other_function), EMBBADDATA);
}

TEST(ModbusFrames, ExceptionsBecomeTheirErrno) {
  const Request req = Request::read_inputs(1, 0, 8);
  const Bytes exception = {0x00, 0x00, 0x00, 0x00, 0x00, 0x03, 1, 0x82, 0x02};
  EXPECT_EQ(check_answer(Framing::kTcp, req, exception), EMBXILADD);
  const Bytes unknown_code = {0x00, 0x00, 0x00, 0x00, 0x00, 0x03, 1, 0x82, 0x0C};
  EXPECT_EQ(check_answer(Framing::kTcp, req, unknown_code), EMBBADEXC);
  // RTU: 01 82 02 and its CRC (libmodbus checked the CRC before us).
  const Bytes rtu = {0x01, 0x82, 0x02, 0xC1, 0x61};
  EXPECT_EQ(check_answer(Framing::kRtu, req, rtu), EMBXILADD);
}

TEST(ModbusFrames, CoilWriteAnswerMustEchoTheRequest) {
  const Request req = Request::write_coil(17, 0x00AC, true);
  // 11 05 00 AC FF 00 4E 8B: the specification's example with its CRC.
  const Bytes echo = {0x11, 0x05, 0x00, 0xAC, 0xFF, 0x00, 0x4E, 0x8B};
  EXPECT_EQ(check_answer(Framing::kRtu, req, echo), 0);
  Bytes other_value = echo;
  other_value[4] = 0x00;
  EXPECT_EQ(check_answer(Framing::kRtu, req, other_value), EMBBADDATA);
  Bytes other_address = echo;
  other_address[3] = 0xAD;
  EXPECT_EQ(check_answer(Framing::kRtu, req, other_address), EMBBADDATA);
  EXPECT_EQ(check_answer(Framing::kRtu, req, Bytes{0x11, 0x05, 0x00}), EMBBADDATA);
}

TEST(ModbusFrames, ReadCoilsAnswerOverRtu) {
  const Request req = Request::read_coils(1, 5, 1);
  const Bytes on = {0x01, 0x01, 0x01, 0x01, 0x90, 0x48};
  ASSERT_EQ(check_answer(Framing::kRtu, req, on), 0);
  EXPECT_EQ(answer_bits(Framing::kRtu, req, on), std::vector<bool>{true});
  const Bytes other_unit = {0x02, 0x01, 0x01, 0x01, 0x90, 0x48};
  EXPECT_EQ(check_answer(Framing::kRtu, req, other_unit), EMBBADSLAVE);
}

// ---- The link state machine ----

TEST(ModbusLink, OfflineAfterThreeFailedPollsReportedOnce) {
  LinkTracker link;
  EXPECT_EQ(link.state(), LinkState::kUnknown);
  EXPECT_EQ(link.good_poll(), (LinkChange{true, "answering"}));
  EXPECT_EQ(link.good_poll(), std::nullopt);
  EXPECT_EQ(link.failed_poll(ETIMEDOUT), std::nullopt);
  EXPECT_EQ(link.failed_poll(ETIMEDOUT), std::nullopt);
  EXPECT_EQ(link.failed_poll(ETIMEDOUT),
            (LinkChange{false, "no answer for 3 polls (Connection timed out)"}));
  EXPECT_EQ(link.state(), LinkState::kOffline);
  EXPECT_FALSE(link.refusing());
  for (int i = 0; i < 10; ++i) EXPECT_EQ(link.failed_poll(ETIMEDOUT), std::nullopt);
  EXPECT_EQ(link.reason(), "no answer for 3 polls (Connection timed out)");
  EXPECT_EQ(link.good_poll(), (LinkChange{true, "answering"}));
  EXPECT_EQ(link.reason(), "");
}

TEST(ModbusLink, AGoodPollInBetweenStartsTheCountAgain) {
  LinkTracker link;
  EXPECT_EQ(link.failed_poll(EMBBADCRC), std::nullopt);
  EXPECT_EQ(link.failed_poll(EMBBADCRC), std::nullopt);
  EXPECT_EQ(link.good_poll(), (LinkChange{true, "answering"}));
  EXPECT_EQ(link.failed_poll(EMBBADCRC), std::nullopt);
  EXPECT_EQ(link.failed_poll(EMBBADCRC), std::nullopt);
  EXPECT_EQ(link.failed_poll(EMBBADCRC),
            (LinkChange{false, "no valid answer for 3 polls (Invalid CRC)"}));
}

TEST(ModbusLink, ExceptionsMakeAModuleOfflineButRefusingNotSilent) {
  LinkTracker link;
  link.failed_poll(EMBXILADD);
  link.failed_poll(EMBXILADD);
  EXPECT_EQ(link.failed_poll(EMBXILADD),
            (LinkChange{false, "Modbus exception 2: illegal data address"}));
  EXPECT_TRUE(link.refusing());
  link.failed_poll(ETIMEDOUT);
  EXPECT_FALSE(link.refusing()) << "now silent: back off";
}

TEST(ModbusLink, LostConnectionIsOfflineAtOnceAndOnlyOnce) {
  LinkTracker link;
  EXPECT_EQ(link.link_lost("connection lost (Connection reset by peer)"),
            (LinkChange{false, "connection lost (Connection reset by peer)"}));
  EXPECT_EQ(link.link_lost("cannot connect to tcp://127.0.0.1:1 (Connection refused)"),
            std::nullopt);
  EXPECT_EQ(link.failed_poll(ETIMEDOUT), std::nullopt);
  EXPECT_EQ(link.good_poll(), (LinkChange{true, "answering"}));
}

TEST(ModbusLink, BackoffDoublesToFiveSecondsAndResets) {
  using std::chrono::milliseconds;
  Backoff b(kBackoffFirst, kBackoffCap);
  const std::vector<int> expected = {100, 200, 400, 800, 1600, 3200, 5000, 5000};
  for (int ms : expected) EXPECT_EQ(b.next(), milliseconds(ms));
  b.reset();
  EXPECT_EQ(b.next(), milliseconds(100));
}

// ---- The in-memory peer ----

struct Seen {
  std::vector<std::pair<std::string, std::vector<bool>>> inputs;
  std::vector<std::pair<bool, std::string>> links;
  IoCallbacks callbacks() {
    IoCallbacks cb;
    cb.on_inputs = [this](const std::string& id, const std::vector<bool>& bits, MonoTime) {
      inputs.emplace_back(id, bits);
    };
    cb.on_link = [this](const std::string&, bool online, const std::string& reason, MonoTime) {
      links.emplace_back(online, reason);
    };
    return cb;
  }
};

std::vector<site::IoModule> one_module() {
  site::IoModule m;
  m.id = "io-1";
  m.modbus = "tcp://127.0.0.1:502";
  m.input_count = 4;
  return {m};
}

TEST(MemoryIo, ReportsInputsAndConfirmsWrites) {
  Seen seen;
  FakeClock clock(WallTime{0});
  MemoryIo io(one_module(), seen.callbacks(), clock);
  ASSERT_TRUE(io.set_input("io-1", 2, true));
  EXPECT_FALSE(io.set_input("io-1", 4, true)) << "input_count is 4";
  EXPECT_FALSE(io.set_input("nope", 0, true));
  ASSERT_EQ(seen.inputs.size(), 1u);
  EXPECT_EQ(seen.inputs[0].second, (std::vector<bool>{false, false, true, false}));

  Status result = make_error(ErrorKind::kInternal, "not called");
  io.write_coil("io-1", 3, true, [&](Status st) { result = std::move(st); });
  EXPECT_TRUE(result.ok());
  EXPECT_TRUE(io.coil("io-1", 3));
  io.write_coil("nope", 0, true, [&](Status st) { result = std::move(st); });
  EXPECT_EQ(result.error().kind, ErrorKind::kInvalidInput);
  ASSERT_EQ(io.writes().size(), 2u);
  EXPECT_EQ(io.writes()[0].coil, 3);
}

TEST(MemoryIo, OfflineModuleRefusesWritesAndReportsOnce) {
  Seen seen;
  MemoryIo io(one_module(), seen.callbacks());
  ASSERT_TRUE(io.set_online("io-1", false, "no answer for 3 polls (Connection timed out)"));
  ASSERT_TRUE(io.set_online("io-1", false, "again"));
  ASSERT_EQ(seen.links.size(), 1u);
  Status result;
  io.write_coil("io-1", 0, true, [&](Status st) { result = std::move(st); });
  ASSERT_FALSE(result.ok());
  EXPECT_EQ(result.error().kind, ErrorKind::kUnavailable);
  EXPECT_THAT(result.error().message, HasSubstr("offline"));
  EXPECT_FALSE(io.coil("io-1", 0));
  io.set_online("io-1", true, "answering");
  EXPECT_EQ(seen.links.back(), (std::pair<bool, std::string>{true, "answering"}));
}

TEST(MemoryIo, LyingReadBackIsAConflictAndTheCoilStays) {
  Seen seen;
  MemoryIo io(one_module(), seen.callbacks());
  io.set_readback_lies("io-1", 1, true);
  Status result;
  io.write_coil("io-1", 1, true, [&](Status st) { result = std::move(st); });
  ASSERT_FALSE(result.ok());
  EXPECT_EQ(result.error().kind, ErrorKind::kConflict);
  EXPECT_FALSE(io.coil("io-1", 1));
  io.set_readback_lies("io-1", 1, false);
  io.write_coil("io-1", 1, true, [&](Status st) { result = std::move(st); });
  EXPECT_TRUE(result.ok());
}

TEST(MemoryIo, HeldWritesCompleteWhenTheTestSays) {
  Seen seen;
  MemoryIo io(one_module(), seen.callbacks());
  io.hold_writes(true);
  int calls = 0;
  io.write_coil("io-1", 0, true, [&](Status st) { calls += st.ok() ? 1 : 100; });
  EXPECT_EQ(calls, 0);
  EXPECT_EQ(io.pending_writes(), 1u);
  EXPECT_EQ(io.complete_writes(), 1u);
  EXPECT_EQ(calls, 1);
  EXPECT_TRUE(io.coil("io-1", 0));
}

}  // namespace
}  // namespace gatehouse::controller::doors
