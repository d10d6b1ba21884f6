// The control panel over a real serial port: the controller's Asio line opens
// one side of a pseudo-terminal, the virtual reader sits on the other, and the
// test corrupts, drops and splits bytes in between. Every card presented must
// still be delivered once the line lets it through, and the noise is counted.
#include <gtest/gtest.h>
#include <fcntl.h>
#include <pty.h>
#include <sodium.h>
#include <termios.h>
#include <unistd.h>

#include <boost/asio/io_context.hpp>
#include <random>
#include <set>

#include "controller/readers/osdp_line.h"
#include "readers/osdp_cp.h"
#include "readers/osdp_pd.h"
#include "tests/support/raw_pty.h"

namespace gatehouse::controller {
namespace {

using namespace std::chrono_literals;
namespace osdp = readers::osdp;

MonoTime mono_now() {
  return MonoTime{std::chrono::duration_cast<std::chrono::microseconds>(
                      std::chrono::steady_clock::now().time_since_epoch())
                      .count()};
}

class NoisyPty {
 public:
  explicit NoisyPty(std::uint32_t seed) : rng_(seed) {}
  const std::string& device() const { return pty_.device(); }
  // Bytes the line (CP) wrote, after the noise.
  std::vector<std::uint8_t> read_from_cp() {
    std::vector<std::uint8_t> out;
    std::uint8_t buf[512];
    ssize_t n;
    while ((n = ::read(pty_.master(), buf, sizeof buf)) > 0) out.insert(out.end(), buf, buf + n);
    return noise(out);
  }
  // Bytes for the CP, after the noise, written in random pieces.
  void write_to_cp(std::span<const std::uint8_t> bytes) {
    auto noisy = noise({bytes.begin(), bytes.end()});
    std::size_t at = 0;
    while (at < noisy.size()) {
      std::size_t piece = std::min<std::size_t>(noisy.size() - at, 1 + rng_() % 7);
      (void)!::write(pty_.master(), noisy.data() + at, piece);
      at += piece;
    }
  }
  int corrupted = 0;
  int dropped = 0;

 private:
  std::vector<std::uint8_t> noise(std::vector<std::uint8_t> bytes) {
    std::vector<std::uint8_t> out;
    for (auto b : bytes) {
      std::uint32_t roll = rng_() % 1000;
      if (roll < 5) {
        ++dropped;
        continue;
      }
      if (roll < 10) {
        ++corrupted;
        b ^= static_cast<std::uint8_t>(1u << (rng_() % 8));
      }
      out.push_back(b);
    }
    return out;
  }
  test_support::RawPty pty_;
  std::mt19937 rng_;
};

TEST(OsdpSerial, CardsCrossANoisySerialLine) {
  NoisyPty pty(42);
  boost::asio::io_context ioc;
  std::shared_ptr<readers_io::OsdpLine> line;
  std::vector<readers::RawCard> delivered;
  bool online = false;

  osdp::CpSettings settings;
  settings.random_bytes = [](std::span<std::uint8_t> out) { randombytes_buf(out.data(), out.size()); };
  osdp::CpEvents events;
  events.card = [&](std::uint8_t, const readers::RawCard& card, MonoTime) { delivered.push_back(card); };
  events.online = [&](std::uint8_t, bool up) { online = up; };
  osdp::PdConfig pd_config;
  pd_config.address = 5;
  osdp::ControlPanel cp(settings, {pd_config},
                        [&](std::span<const std::uint8_t> b) { if (line) line->send(b); },
                        std::move(events));
  readers_io::LineHandlers handlers;
  handlers.on_bytes = [&](std::span<const std::uint8_t> b, MonoTime at) { cp.receive(b, at); };
  auto created = readers_io::OsdpLine::create(ioc, "serial://" + pty.device() + "?baud=115200", handlers);
  ASSERT_TRUE(created.ok()) << created.error().message;
  line = std::move(created).value();
  line->start();

  osdp::PdSettings pd_settings;
  pd_settings.address = 5;
  osdp::PeripheralDevice pd(pd_settings, [&](std::span<const std::uint8_t> b) { pty.write_to_cp(b); });

  auto pump = [&](std::chrono::milliseconds for_how_long, auto until) {
    auto deadline = std::chrono::steady_clock::now() + for_how_long;
    while (std::chrono::steady_clock::now() < deadline && !until()) {
      ioc.restart();
      ioc.run_for(2ms);
      cp.tick(mono_now());
      auto bytes = pty.read_from_cp();
      if (!bytes.empty()) pd.receive(bytes, mono_now());
    }
    return until();
  };
  ASSERT_TRUE(pump(20s, [&] { return online; })) << "the reader never came online";

  constexpr int kCards = 20;
  std::set<std::string> presented;
  for (int i = 0; i < kCards; ++i) {
    auto card = readers::encode_card(readers::CardFormat::kH10301, 3, 100 + static_cast<std::uint64_t>(i));
    ASSERT_TRUE(card.ok());
    presented.insert(readers::to_bit_string(*card));
    pd.present_card(*card);
    pump(150ms, [] { return false; });
  }
  ASSERT_TRUE(pump(30s, [&] {
    std::set<std::string> got;
    for (const auto& c : delivered) got.insert(readers::to_bit_string(c));
    return got == presented;
  })) << delivered.size() << " cards delivered of " << kCards;
  EXPECT_GT(pty.corrupted + pty.dropped, 0) << "the line was not noisy";
  std::uint64_t counted = 0;
  for (std::size_t r = 0; r < static_cast<std::size_t>(osdp::DropReason::kCount); ++r) {
    counted += cp.dropped(static_cast<osdp::DropReason>(r));
  }
  EXPECT_GT(counted, 0u) << "damaged replies are dropped with a counted reason";
  line->stop();
  ioc.restart();
  ioc.run_for(20ms);
}

}  // namespace
}  // namespace gatehouse::controller
