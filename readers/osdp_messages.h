// OSDP v2.2 command and reply payloads (the DATA field after the code byte):
// encode to bytes and decode from bytes, shared by the control panel
// (osdp_cp.h) and the peripheral device (osdp_pd.h). No framing, no Secure
// Channel, no state. Layouts follow SIA OSDP v2.2 (field sizes cross-checked
// against libosdp's osdp_cp.c / osdp_pd.c length constants); docs/osdp.md.
//
// Every decode_* checks lengths first: a short or over-long payload is a
// kInvalidInput error value, never a read past the end. Multi-byte integers are
// little-endian, as everywhere in OSDP. Pure functions: any thread.
#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "base/result.h"
#include "readers/osdp_codes.h"
#include "readers/osdp_sc.h"
#include "readers/wiegand.h"

namespace gatehouse::readers::osdp {

using Bytes = std::vector<std::uint8_t>;

// osdp_FMT (formatted card data, deprecated in v2.2.2) is not in osdp_codes.h.
inline constexpr std::uint8_t kReplyFmt = 0x51;

// A command or reply before framing: its code and its plaintext DATA.
struct Message {
  std::uint8_t code = 0;
  Bytes data;
  friend bool operator==(const Message&, const Message&) = default;
};

// ---- commands, CP -> PD --------------------------------------------------

// POLL, LSTAT, ISTAT, OSTAT, RSTAT: no data.
Message encode_simple(std::uint8_t command_code);
// ID and CAP carry one byte, 0 = "standard reply".
Message encode_id();
Message encode_cap();

struct OutputControl {     // osdp_OUT record, 4 bytes
  std::uint8_t output = 0;
  std::uint8_t control_code = 0;  // 1 = permanent off, 2 = permanent on, 5/6 = temporary
  std::uint16_t timer_100ms = 0;
  friend bool operator==(const OutputControl&, const OutputControl&) = default;
};

struct LedCommand {        // osdp_LED record, 14 bytes; times in units of 100 ms
  std::uint8_t reader = 0;
  std::uint8_t led = 0;
  std::uint8_t temp_control = 0;  // 0 nop, 1 cancel, 2 set temporary
  std::uint8_t temp_on_100ms = 0;
  std::uint8_t temp_off_100ms = 0;
  std::uint8_t temp_on_color = 0;  // 0 black, 1 red, 2 green, 3 amber, 4 blue
  std::uint8_t temp_off_color = 0;
  std::uint16_t temp_timer_100ms = 0;
  std::uint8_t perm_control = 0;   // 0 nop, 1 set permanent
  std::uint8_t perm_on_100ms = 0;
  std::uint8_t perm_off_100ms = 0;
  std::uint8_t perm_on_color = 0;
  std::uint8_t perm_off_color = 0;
  friend bool operator==(const LedCommand&, const LedCommand&) = default;
};
inline constexpr std::uint8_t kColorBlack = 0, kColorRed = 1, kColorGreen = 2, kColorAmber = 3;

struct BuzzerCommand {     // osdp_BUZ, 5 bytes
  std::uint8_t reader = 0;
  std::uint8_t tone = 2;   // 0 no tone, 1 off, 2 default tone
  std::uint8_t on_100ms = 0;
  std::uint8_t off_100ms = 0;
  std::uint8_t count = 0;  // 0 = until told otherwise
  friend bool operator==(const BuzzerCommand&, const BuzzerCommand&) = default;
};

struct TextCommand {       // osdp_TEXT, 6 bytes + text
  std::uint8_t reader = 0;
  std::uint8_t command = 1;  // 1 permanent no wrap ... 4 temporary with wrap
  std::uint8_t temp_time_s = 0;
  std::uint8_t row = 1;
  std::uint8_t column = 1;
  std::string text;          // printable ASCII, at most 255 bytes
  friend bool operator==(const TextCommand&, const TextCommand&) = default;
};

struct ComSettings {       // osdp_COMSET and osdp_COM, 5 bytes
  std::uint8_t address = 0;
  std::uint32_t baud = 9600;
  friend bool operator==(const ComSettings&, const ComSettings&) = default;
};

Message encode_output(std::span<const OutputControl> outputs);
Message encode_led(std::span<const LedCommand> leds);
Message encode_buzzer(const BuzzerCommand& buzzer);
Result<Message> encode_text(const TextCommand& text);  // refuses text over 255 bytes
Message encode_comset(const ComSettings& settings);
Message encode_keyset(const Key& scbk);          // key type 1 (SCBK), length 16, key
Message encode_chlng(const Random& rnd_a);
Message encode_scrypt(const Block& server_cryptogram);
Message encode_acurxsize(std::uint16_t max_bytes);

Result<std::vector<OutputControl>> decode_output(std::span<const std::uint8_t> data);
Result<std::vector<LedCommand>> decode_led(std::span<const std::uint8_t> data);
Result<BuzzerCommand> decode_buzzer(std::span<const std::uint8_t> data);
Result<TextCommand> decode_text(std::span<const std::uint8_t> data);
Result<ComSettings> decode_comset(std::span<const std::uint8_t> data);  // also osdp_COM
Result<Key> decode_keyset(std::span<const std::uint8_t> data);
Result<Random> decode_chlng(std::span<const std::uint8_t> data);
Result<Block> decode_scrypt(std::span<const std::uint8_t> data);  // also osdp_RMAC_I
Result<std::uint16_t> decode_acurxsize(std::span<const std::uint8_t> data);

// ---- replies, PD -> CP ---------------------------------------------------

struct Identity {          // osdp_PDID, 12 bytes
  std::array<std::uint8_t, 3> vendor_oui{};
  std::uint8_t model = 0;
  std::uint8_t version = 0;
  std::uint32_t serial = 0;
  std::array<std::uint8_t, 3> firmware{};  // major, minor, build
  friend bool operator==(const Identity&, const Identity&) = default;
};

struct Capability {        // one osdp_PDCAP entry, 3 bytes
  std::uint8_t function = 0;    // 1 contact status ... 9 communication security, 10 receive buffer
  std::uint8_t compliance = 0;
  std::uint8_t count = 0;
  friend bool operator==(const Capability&, const Capability&) = default;
};

struct LocalStatus {       // osdp_LSTATR, 2 bytes
  bool tamper = false;
  bool power_failure = false;
  friend bool operator==(const LocalStatus&, const LocalStatus&) = default;
};

struct CardRead {          // osdp_RAW: reader, format code, bit count LE16, bits MSB first
  std::uint8_t reader = 0;
  std::uint8_t format = 0;  // 0 raw/unspecified, 1 Wiegand
  RawCard card;
  friend bool operator==(const CardRead&, const CardRead&) = default;
};

struct FormattedCard {     // osdp_FMT: reader, direction, length, ASCII
  std::uint8_t reader = 0;
  std::uint8_t direction = 0;
  std::string characters;
  friend bool operator==(const FormattedCard&, const FormattedCard&) = default;
};

struct KeypadData {        // osdp_KEYPAD: reader, count, digits
  std::uint8_t reader = 0;
  std::string digits;
  friend bool operator==(const KeypadData&, const KeypadData&) = default;
};

struct Nak {               // osdp_NAK: code, then optional detail bytes
  NakCode code = NakCode::kNone;
  Bytes detail;
  friend bool operator==(const Nak&, const Nak&) = default;
};

struct ClientChallenge {   // osdp_CCRYPT, 32 bytes
  std::array<std::uint8_t, 8> client_uid{};
  Random rnd_b{};
  Block cryptogram{};
};

Message encode_ack();
Message encode_busy();
Message encode_nak(NakCode code, std::span<const std::uint8_t> detail = {});
Message encode_pdid(const Identity& identity);
Message encode_pdcap(std::span<const Capability> capabilities);
Message encode_lstatr(const LocalStatus& status);
// ISTATR, OSTATR, RSTATR: one status byte per input, output or reader.
Message encode_status_list(std::uint8_t reply_code, std::span<const std::uint8_t> states);
Result<Message> encode_raw(const CardRead& read);   // refuses a malformed RawCard
Result<Message> encode_fmt(const FormattedCard& card);
Result<Message> encode_keypad(const KeypadData& keypad);
Message encode_com(const ComSettings& settings);
Message encode_ccrypt(const ClientChallenge& challenge);
Message encode_rmac_i(const Block& rmac_i);

Result<Nak> decode_nak(std::span<const std::uint8_t> data);
Result<Identity> decode_pdid(std::span<const std::uint8_t> data);
Result<std::vector<Capability>> decode_pdcap(std::span<const std::uint8_t> data);
Result<LocalStatus> decode_lstatr(std::span<const std::uint8_t> data);
Result<std::vector<std::uint8_t>> decode_status_list(std::span<const std::uint8_t> data);
Result<CardRead> decode_raw(std::span<const std::uint8_t> data);
Result<FormattedCard> decode_fmt(std::span<const std::uint8_t> data);
Result<KeypadData> decode_keypad(std::span<const std::uint8_t> data);
Result<ClientChallenge> decode_ccrypt(std::span<const std::uint8_t> data);
// Replies that must carry no data (ACK, BUSY).
Status decode_empty(std::span<const std::uint8_t> data);

}  // namespace gatehouse::readers::osdp
