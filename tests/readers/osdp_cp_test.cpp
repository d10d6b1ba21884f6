// The control panel against the virtual reader, in memory: the CP's Send
// feeds the PDs and theirs feed the CP, time driven by hand.
#include <deque>
#include <limits>
#include <map>
#include <memory>
#include <random>
#include <set>

#include <gtest/gtest.h>

#include "readers/osdp_cp.h"
#include "readers/osdp_crc.h"
#include "readers/osdp_pd.h"

namespace gatehouse::readers::osdp {
namespace {

constexpr Key kKey = {1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16};
constexpr Key kFresh = {0xA0, 0xA1, 0xA2, 0xA3, 0xA4, 0xA5, 0xA6, 0xA7,
                        0xA8, 0xA9, 0xAA, 0xAB, 0xAC, 0xAD, 0xAE, 0xAF};

PdSettings reader(std::uint8_t address) {
  PdSettings s;
  s.address = address;
  s.identity = Identity{{0x0A, 0x0B, 0x0C}, 7, 2, 1000u + address, {1, 2, 3}};
  s.capabilities = {{3, 1, 1}, {4, 1, 1}, {9, 1, 1}};
  s.random_seed = address;
  return s;
}

PdConfig plain(std::uint8_t address) {
  PdConfig c;
  c.address = address;
  return c;
}

RawCard card(std::uint64_t number) { return encode_card(CardFormat::kH10301, 18, number).value(); }

struct Line {
  explicit Line(std::vector<PdSettings> pd_settings, std::vector<PdConfig> configs, CpSettings settings = {}) {
    for (PdSettings& s : pd_settings) {
      pds.push_back(std::make_unique<PeripheralDevice>(std::move(s), [this](std::span<const std::uint8_t> b) {
        Bytes bytes(b.begin(), b.end());
        from_pds.push_back(bytes);
        queue(to_cp, std::move(bytes));
      }));
    }
    settings.random_bytes = [this](std::span<std::uint8_t> out) {
      for (auto& b : out) b = static_cast<std::uint8_t>(rng());
    };
    CpEvents e;
    e.card = [this](std::uint8_t a, const RawCard& c, MonoTime t) {
      cards.push_back({a, c});
      card_times.push_back(t);
      EXPECT_EQ(t, last_cp_delivery);
    };
    e.keypad = [this](std::uint8_t a, const std::string& d, MonoTime) { keypads.push_back({a, d}); };
    e.local_status = [this](std::uint8_t a, const LocalStatus& s) { statuses.push_back({a, s}); };
    e.online = [this](std::uint8_t a, bool on) { onlines.push_back({a, on}); };
    e.alarm = [this](std::uint8_t a, SecurityAlarm al) { alarms.push_back({a, al}); };
    e.key_set = [this](std::uint8_t a, const Key& k) { keys.push_back({a, k}); };
    cp = std::make_unique<ControlPanel>(settings, std::move(configs), [this](std::span<const std::uint8_t> b) {
      Bytes bytes(b.begin(), b.end());
      from_cp.push_back(bytes);
      queue(to_pds, std::move(bytes));
    }, e);
  }

  void queue(std::deque<Bytes>& q, Bytes bytes) {
    if (!noise) {
      q.push_back(std::move(bytes));
      return;
    }
    Bytes out;
    for (std::uint8_t b : bytes) {
      const int roll = static_cast<int>(noise_rng() % 1000);
      if (roll < noise_per_mille) continue;                                      // dropped
      if (roll < 2 * noise_per_mille) b ^= static_cast<std::uint8_t>(1 + noise_rng() % 255);  // corrupted
      out.push_back(b);
    }
    while (!out.empty()) {  // split in random chunks
      std::size_t n = std::min<std::size_t>(out.size(), 1 + noise_rng() % 8);
      q.emplace_back(out.begin(), out.begin() + static_cast<std::ptrdiff_t>(n));
      out.erase(out.begin(), out.begin() + static_cast<std::ptrdiff_t>(n));
    }
  }

  void deliver(MonoTime end = MonoTime{std::numeric_limits<std::int64_t>::max()}) {
    while ((!to_pds.empty() || !to_cp.empty()) && now < end) {
      if (!to_pds.empty()) {
        Bytes b = std::move(to_pds.front());
        to_pds.pop_front();
        now.us += 1000;
        for (auto& pd : pds) pd->receive(b, now);
      }
      if (!to_cp.empty()) {
        Bytes b = std::move(to_cp.front());
        to_cp.pop_front();
        now.us += 1000;
        last_cp_delivery = now;
        if (mangle_to_cp) mangle_to_cp(b);
        cp->receive(b, now);
      }
    }
  }

  void run_for(std::int64_t us) {
    const MonoTime end{now.us + us};
    for (;;) {
      deliver(end);
      if (now >= end) break;
      const MonoTime next = cp->next_deadline();
      if (next > end) break;
      now = std::max(now, next);
      cp->tick(now);
    }
    now = std::max(now, end);
  }

  PdStatus status(std::uint8_t a) const { return cp->status(a).value(); }

  std::mt19937_64 rng{42};
  std::mt19937_64 noise_rng{7};
  bool noise = false;
  int noise_per_mille = 0;
  std::function<void(Bytes&)> mangle_to_cp;
  std::deque<Bytes> to_pds, to_cp;
  std::vector<Bytes> from_cp, from_pds;
  MonoTime now{1'000'000};
  MonoTime last_cp_delivery{};
  std::vector<std::unique_ptr<PeripheralDevice>> pds;
  std::unique_ptr<ControlPanel> cp;
  std::vector<std::pair<std::uint8_t, RawCard>> cards;
  std::vector<MonoTime> card_times;
  std::vector<std::pair<std::uint8_t, std::string>> keypads;
  std::vector<std::pair<std::uint8_t, LocalStatus>> statuses;
  std::vector<std::pair<std::uint8_t, bool>> onlines;
  std::vector<std::pair<std::uint8_t, SecurityAlarm>> alarms;
  std::vector<std::pair<std::uint8_t, Key>> keys;
};

Packet parse_one(const Bytes& b) {
  ParseResult r = parse_packet(b);
  EXPECT_EQ(r.status, ParseStatus::kPacket);
  return r.packet;
}

TEST(OsdpMessages, ShortPayloadsAreErrorsAndRoundTrips) {
  EXPECT_FALSE(decode_pdid(std::vector<std::uint8_t>(11)).ok());
  EXPECT_FALSE(decode_raw(std::vector<std::uint8_t>{0, 1, 26, 0, 1, 2}).ok());  // 26 bits need 4 bytes
  EXPECT_FALSE(decode_keypad(std::vector<std::uint8_t>{0, 3, '1'}).ok());
  EXPECT_FALSE(decode_led(std::vector<std::uint8_t>(13)).ok());
  EXPECT_FALSE(decode_nak({}).ok());
  EXPECT_FALSE(decode_ccrypt(std::vector<std::uint8_t>(31)).ok());
  CardRead read{1, 1, card(1234)};
  Message raw = encode_raw(read).value();
  EXPECT_EQ(raw.data[2], 26);  // bit count LE16
  EXPECT_EQ(raw.data[3], 0);
  EXPECT_EQ(decode_raw(raw.data).value(), read);
  LedCommand led{0, 1, 2, 3, 4, 5, 6, 0x1234, 1, 7, 8, 9, 10};
  EXPECT_EQ(encode_led(std::span<const LedCommand>(&led, 1)).data.size(), 14u);
  EXPECT_EQ(decode_led(encode_led(std::span<const LedCommand>(&led, 1)).data).value().at(0), led);
  Identity id{{1, 2, 3}, 4, 5, 0x01020304, {6, 7, 8}};
  EXPECT_EQ(decode_pdid(encode_pdid(id).data).value(), id);
  for (int code = 0; code <= 9; ++code) {
    EXPECT_EQ(decode_nak(encode_nak(static_cast<NakCode>(code)).data).value().code, static_cast<NakCode>(code));
  }
}

TEST(OsdpCp, DiscoveryRecordsIdentityAndCapabilities) {
  Line line({reader(5)}, {plain(5)});
  line.run_for(500'000);
  PdStatus s = line.status(5);
  EXPECT_TRUE(s.online);
  EXPECT_EQ(s.state, PdState::kOnline);
  ASSERT_TRUE(s.identity);
  EXPECT_EQ(s.identity->serial, 1005u);
  EXPECT_EQ(s.capabilities, reader(5).capabilities);
  EXPECT_EQ(line.onlines, (std::vector<std::pair<std::uint8_t, bool>>{{5, true}}));
  EXPECT_EQ(pd_state_name(s.state), "online");
}

TEST(OsdpCp, PollsThreePdsRoundRobinWithSpecSequenceNumbers) {
  Line line({reader(1), reader(2), reader(3)}, {plain(1), plain(2), plain(3)});
  line.run_for(2'000'000);
  std::vector<std::uint8_t> addresses;
  std::map<std::uint8_t, std::vector<std::uint8_t>> sequences;
  for (const Bytes& b : line.from_cp) {
    Packet p = parse_one(b);
    addresses.push_back(p.address);
    sequences[p.address].push_back(p.sequence);
  }
  ASSERT_GT(addresses.size(), 30u);
  for (std::size_t i = 0; i < addresses.size(); ++i) EXPECT_EQ(addresses[i], 1 + i % 3) << i;
  for (auto& [a, seq] : sequences) {
    EXPECT_EQ(seq[0], 0);
    for (std::size_t i = 1; i < seq.size(); ++i) EXPECT_EQ(seq[i], 1 + (i - 1) % 3);
  }
  // ~50 ms per PD when idle: 2 s gives each PD about 40 polls, never over the period.
  EXPECT_GT(sequences[2].size(), 30u);
  EXPECT_LT(sequences[2].size(), 45u);
}

TEST(OsdpCp, CardKeypadTamperAndFeedback) {
  Line line({reader(1), reader(2)}, {plain(1), plain(2)});
  line.run_for(300'000);
  line.pds[1]->present_card(card(4321));
  ASSERT_TRUE(line.pds[0]->keypad("1234").ok());
  line.pds[0]->set_tamper(true);
  line.run_for(300'000);
  ASSERT_EQ(line.cards.size(), 1u);
  EXPECT_EQ(line.cards[0].first, 2);
  EXPECT_EQ(line.cards[0].second, card(4321));
  EXPECT_EQ(line.keypads, (std::vector<std::pair<std::uint8_t, std::string>>{{1, "1234"}}));
  ASSERT_EQ(line.statuses.size(), 1u);
  EXPECT_TRUE(line.statuses[0].second.tamper);
  EXPECT_TRUE(line.status(1).local.tamper);

  ASSERT_TRUE(line.cp->feedback(2, true).ok());
  line.run_for(200'000);
  ASSERT_TRUE(line.pds[1]->last_led());
  EXPECT_EQ(line.pds[1]->last_led()->temp_on_color, kColorGreen);
  EXPECT_EQ(line.pds[1]->last_buzzer()->count, 1);
  ASSERT_TRUE(line.cp->feedback(2, false).ok());
  line.run_for(200'000);
  EXPECT_EQ(line.pds[1]->last_led()->temp_on_color, kColorRed);
  EXPECT_EQ(line.pds[1]->last_buzzer()->count, 2);
  EXPECT_FALSE(line.pds[0]->last_led());
  EXPECT_EQ(line.cp->feedback(9, true).error().kind, ErrorKind::kNotFound);
}

TEST(OsdpCp, SilentPdGoesOfflineAfterThreeMissesAndComesBack) {
  Line line({reader(1)}, {plain(1)});
  line.run_for(300'000);
  line.pds[0]->drop_next_replies(2);  // two misses: retried, still online
  line.run_for(1'000'000);
  EXPECT_TRUE(line.status(1).online);
  EXPECT_EQ(line.status(1).missed_replies, 2u);
  line.pds[0]->drop_next_replies(3);
  const MonoTime start = line.now;
  line.run_for(1'000'000);
  ASSERT_GE(line.onlines.size(), 2u);
  EXPECT_EQ(line.onlines[1], (std::pair<std::uint8_t, bool>{1, false}));
  EXPECT_FALSE(line.status(1).online);
  (void)start;
  line.pds[0]->present_card(card(77));  // kept while the CP is away
  line.run_for(2'000'000);
  EXPECT_TRUE(line.status(1).online);
  EXPECT_EQ(line.onlines.back(), (std::pair<std::uint8_t, bool>{1, true}));
  ASSERT_EQ(line.cards.size(), 1u);
  EXPECT_EQ(line.cards[0].second, card(77));
}

TEST(OsdpCp, BusyReplyResendsTheSameCommand) {
  Line line({reader(1)}, {plain(1)});
  line.run_for(300'000);
  line.pds[0]->busy_next_replies(2);
  line.pds[0]->present_card(card(5));
  line.run_for(500'000);
  EXPECT_EQ(line.status(1).busy, 2u);
  ASSERT_EQ(line.cards.size(), 1u);
  EXPECT_TRUE(line.status(1).online);
}

TEST(OsdpCp, WrongSequenceWrongAddressAndUnsolicitedAreDroppedAndCounted) {
  Line line({reader(1)}, {plain(1)});
  line.run_for(300'000);
  const auto build = [](std::uint8_t address, std::uint8_t seq) {
    Packet p;
    p.address = address;
    p.is_reply = true;
    p.sequence = seq;
    p.code = reply::kRaw;
    p.data = encode_raw(CardRead{0, 1, card(666)}).value().data;
    return build_packet(p).value();
  };
  line.cp->receive(build(1, 1), line.now);  // nothing outstanding
  EXPECT_EQ(line.cp->dropped(DropReason::kUnsolicited), 1u);
  line.now = line.cp->next_deadline();
  line.cp->tick(line.now);  // a POLL goes out, not delivered yet
  ASSERT_FALSE(line.to_pds.empty());
  const std::uint8_t seq = parse_one(line.to_pds.back()).sequence;
  line.cp->receive(build(1, static_cast<std::uint8_t>(seq % 3 + 1)), line.now);
  line.cp->receive(build(2, seq), line.now);
  EXPECT_EQ(line.cp->dropped(DropReason::kBadSequence), 1u);
  EXPECT_EQ(line.cp->dropped(DropReason::kWrongAddress), 1u);
  line.run_for(300'000);
  EXPECT_TRUE(line.cards.empty());
  EXPECT_TRUE(line.status(1).online);
}

TEST(OsdpCp, NoisyLineStillDeliversEveryCard) {
  Line line({reader(1), reader(2), reader(3)}, {plain(1), plain(2), plain(3)});
  line.noise = true;
  line.noise_per_mille = 4;  // 0.4 % of bytes dropped, 0.4 % corrupted, random splits
  std::set<std::pair<std::uint8_t, std::uint64_t>> presented;
  for (int i = 0; i < 30; ++i) {
    line.run_for(1'000'000);
    const std::uint8_t a = static_cast<std::uint8_t>(1 + i % 3);
    line.pds[a - 1]->present_card(card(100 + static_cast<std::uint64_t>(i)));
    presented.insert({a, 100 + static_cast<std::uint64_t>(i)});
  }
  line.run_for(10'000'000);
  std::set<std::pair<std::uint8_t, std::uint64_t>> delivered;
  for (auto& [a, c] : line.cards) delivered.insert({a, decode_card(c).value().card_number});
  EXPECT_EQ(delivered, presented);
  std::uint64_t dropped = 0;
  for (int r = 0; r < static_cast<int>(DropReason::kCount); ++r) dropped += line.cp->dropped(static_cast<DropReason>(r));
  EXPECT_GT(dropped, 0u);  // the noise was real
  for (std::uint8_t a = 1; a <= 3; ++a) EXPECT_TRUE(line.status(a).online);
}

// ---- Secure Channel ---------------------------------------------------------

PdConfig secure(std::uint8_t address, std::optional<Key> key) {
  PdConfig c;
  c.address = address;
  c.secure_channel = true;
  c.scbk = key;
  return c;
}

TEST(OsdpCpSecure, HandshakeThenCardsUnderScs18) {
  PdSettings s = reader(1);
  s.scbk = kKey;
  s.require_secure = true;
  Line line({s}, {secure(1, kKey)});
  line.run_for(500'000);
  EXPECT_TRUE(line.status(1).secure);
  EXPECT_TRUE(line.status(1).online);
  EXPECT_TRUE(line.pds[0]->secure_channel_active());
  line.pds[0]->present_card(card(9));
  line.run_for(300'000);
  ASSERT_EQ(line.cards.size(), 1u);
  EXPECT_EQ(line.cards[0].second, card(9));
  bool saw_raw_encrypted = false;
  for (const Bytes& b : line.from_pds) {
    Packet p = parse_one(b);
    if (p.security && p.security->type == scs::k18) saw_raw_encrypted = true;
    if (p.code == reply::kRaw && (!p.security || p.security->type != scs::k18)) {
      ADD_FAILURE() << "RAW travelled in the clear";
    }
  }
  EXPECT_TRUE(saw_raw_encrypted);
  EXPECT_TRUE(line.alarms.empty());
}

TEST(OsdpCpSecure, WrongKeyNoSessionNoCard) {
  PdSettings s = reader(1);
  s.scbk = kKey;
  Key wrong = kKey;
  wrong[0] ^= 1;
  Line line({s}, {secure(1, wrong)});
  line.pds[0]->present_card(card(9));
  line.run_for(3'000'000);
  EXPECT_FALSE(line.status(1).online);
  EXPECT_FALSE(line.status(1).secure);
  EXPECT_TRUE(line.cards.empty());
  ASSERT_FALSE(line.alarms.empty());
  EXPECT_EQ(line.alarms[0].second, SecurityAlarm::kHandshakeFailed);
}

TEST(OsdpCpSecure, InstallModeKeysetThenNewSession) {
  PdSettings s = reader(1);
  s.install_mode = true;
  s.require_secure = true;
  PdConfig c = secure(1, std::nullopt);
  c.install_mode = true;
  c.install_key = kFresh;
  Line line({s}, {c});
  line.run_for(1'000'000);
  ASSERT_EQ(line.keys.size(), 1u);
  EXPECT_EQ(line.keys[0].second, kFresh);
  ASSERT_TRUE(line.pds[0]->scbk());
  EXPECT_EQ(*line.pds[0]->scbk(), kFresh);
  EXPECT_FALSE(line.pds[0]->install_mode());
  EXPECT_TRUE(line.status(1).secure);
  line.pds[0]->present_card(card(31));
  line.run_for(300'000);
  ASSERT_EQ(line.cards.size(), 1u);
  // The last handshake used the new key (CHLNG key byte 1, not SCBK-D 0).
  std::optional<std::uint8_t> last_kind;
  for (const Bytes& b : line.from_cp) {
    Packet p = parse_one(b);
    if (p.code == cmd::kChlng) last_kind = p.security->data.at(0);
  }
  EXPECT_EQ(last_kind, 1);
}

TEST(OsdpCpSecure, PlaintextPdIsADowngradeNeverAFallback) {
  Line line({reader(1)}, {secure(1, kKey)});  // the reader has no key: NAKs CHLNG
  line.pds[0]->present_card(card(9));
  line.run_for(3'000'000);
  EXPECT_FALSE(line.status(1).online);
  EXPECT_TRUE(line.cards.empty());
  ASSERT_FALSE(line.alarms.empty());
  EXPECT_EQ(line.alarms[0].second, SecurityAlarm::kDowngrade);
}

TEST(OsdpCpSecure, PlainReplyInsideASessionIsADowngrade) {
  PdSettings s = reader(1);
  s.scbk = kKey;
  Line line({s}, {secure(1, kKey)});
  line.run_for(500'000);
  ASSERT_TRUE(line.status(1).secure);
  line.pds[0]->force_plaintext(true);
  line.pds[0]->present_card(card(9));
  line.run_for(1'000'000);
  EXPECT_TRUE(line.cards.empty());
  EXPECT_GT(line.cp->dropped(DropReason::kUnauthenticated), 0u);
  ASSERT_FALSE(line.alarms.empty());
  EXPECT_EQ(line.alarms[0].second, SecurityAlarm::kDowngrade);
}

TEST(OsdpCpSecure, MacCorruptedAndReplayedRepliesAreDroppedAndCounted) {
  PdSettings s = reader(1);
  s.scbk = kKey;
  Line line({s}, {secure(1, kKey)});
  line.run_for(500'000);
  ASSERT_TRUE(line.status(1).secure);
  // Replay: an old secure reply with the SQN of the command now outstanding.
  line.now = line.cp->next_deadline();
  line.cp->tick(line.now);
  const std::uint8_t seq = parse_one(line.to_pds.back()).sequence;
  std::optional<Bytes> old;
  for (const Bytes& b : line.from_pds) {
    Packet p = parse_one(b);
    if (p.sequence == seq && p.mac) old = b;
  }
  ASSERT_TRUE(old);
  line.cp->receive(*old, line.now);
  EXPECT_EQ(line.cp->dropped(DropReason::kMacFailure), 1u);
  line.to_pds.clear();
  line.run_for(500'000);
  EXPECT_TRUE(line.status(1).secure);  // a new session
  // A MAC byte flipped with the CRC made good again.
  int left = 1;
  line.mangle_to_cp = [&left](Bytes& b) {
    ParseResult r = parse_packet(b);
    if (left == 0 || r.status != ParseStatus::kPacket || !r.packet.mac) return;
    --left;
    b[b.size() - 3] ^= 0x01;
    const std::uint16_t crc = crc16(std::span<const std::uint8_t>(b).first(b.size() - 2));
    b[b.size() - 2] = static_cast<std::uint8_t>(crc & 0xFF);
    b[b.size() - 1] = static_cast<std::uint8_t>(crc >> 8);
  };
  line.pds[0]->present_card(card(12));
  line.run_for(1'000'000);
  EXPECT_EQ(line.cp->dropped(DropReason::kMacFailure), 2u);
  int mac_alarms = 0;
  for (auto& [a, al] : line.alarms) mac_alarms += al == SecurityAlarm::kMacFailure;
  EXPECT_EQ(mac_alarms, 2);
  ASSERT_EQ(line.cards.size(), 1u);  // the PD kept the card and sent it in the new session
  EXPECT_EQ(line.cards[0].second, card(12));
}

}  // namespace
}  // namespace gatehouse::readers::osdp
