// OSDP v2.2 vocabulary: the framing constants, command and reply codes, NAK
// codes and Security Control Block types, as numbered by SIA OSDP v2.2 (the
// same numbers libosdp's osdp_common.h and include/osdp.h use). Constants only:
// no state, usable from any thread. docs/osdp.md says which layers use them.
#pragma once

#include <cstdint>

namespace gatehouse::readers::osdp {

inline constexpr std::uint8_t kStartOfMessage = 0x53;  // SOM
// The line is driven to marking before a packet; many senders put one 0xFF
// before the SOM. The parser skips it like any byte before a SOM.
inline constexpr std::uint8_t kMarkByte = 0xFF;
inline constexpr std::uint8_t kBroadcastAddress = 0x7F;
inline constexpr std::uint8_t kReplyAddressBit = 0x80;  // set in ADDR on PD -> CP packets

// CTRL byte.
inline constexpr std::uint8_t kCtrlSequenceMask = 0x03;
inline constexpr std::uint8_t kCtrlCrc = 0x04;             // 1: CRC-16, 0: 8-bit checksum
inline constexpr std::uint8_t kCtrlSecurityBlock = 0x08;   // SCB present
inline constexpr std::uint8_t kCtrlReservedMask = 0xF0;    // must be zero

// Commands, CP -> PD.
namespace cmd {
inline constexpr std::uint8_t kPoll = 0x60;
inline constexpr std::uint8_t kId = 0x61;
inline constexpr std::uint8_t kCap = 0x62;
inline constexpr std::uint8_t kLstat = 0x64;
inline constexpr std::uint8_t kIstat = 0x65;
inline constexpr std::uint8_t kOstat = 0x66;
inline constexpr std::uint8_t kRstat = 0x67;
inline constexpr std::uint8_t kOut = 0x68;
inline constexpr std::uint8_t kLed = 0x69;
inline constexpr std::uint8_t kBuz = 0x6A;
inline constexpr std::uint8_t kText = 0x6B;
inline constexpr std::uint8_t kComset = 0x6E;
inline constexpr std::uint8_t kBioread = 0x73;
inline constexpr std::uint8_t kBiomatch = 0x74;
inline constexpr std::uint8_t kKeyset = 0x75;
inline constexpr std::uint8_t kChlng = 0x76;   // SC step 1: RND.A
inline constexpr std::uint8_t kScrypt = 0x77;  // SC step 3: server cryptogram
inline constexpr std::uint8_t kAcurxsize = 0x7B;
inline constexpr std::uint8_t kFiletransfer = 0x7C;
inline constexpr std::uint8_t kMfg = 0x80;
inline constexpr std::uint8_t kXwr = 0xA1;
inline constexpr std::uint8_t kAbort = 0xA2;
inline constexpr std::uint8_t kPivdata = 0xA3;
inline constexpr std::uint8_t kGenauth = 0xA4;
inline constexpr std::uint8_t kCrauth = 0xA5;
inline constexpr std::uint8_t kKeepactive = 0xA7;
}  // namespace cmd

// Replies, PD -> CP.
namespace reply {
inline constexpr std::uint8_t kAck = 0x40;
inline constexpr std::uint8_t kNak = 0x41;
inline constexpr std::uint8_t kPdid = 0x45;
inline constexpr std::uint8_t kPdcap = 0x46;
inline constexpr std::uint8_t kLstatr = 0x48;
inline constexpr std::uint8_t kIstatr = 0x49;
inline constexpr std::uint8_t kOstatr = 0x4A;
inline constexpr std::uint8_t kRstatr = 0x4B;
inline constexpr std::uint8_t kRaw = 0x50;
inline constexpr std::uint8_t kKeypad = 0x53;
inline constexpr std::uint8_t kCom = 0x54;
inline constexpr std::uint8_t kBioreadr = 0x57;
inline constexpr std::uint8_t kBiomatchr = 0x58;
inline constexpr std::uint8_t kCcrypt = 0x76;  // SC step 2: client UID, RND.B, client cryptogram
inline constexpr std::uint8_t kRmacI = 0x78;   // SC step 4: initial R-MAC
inline constexpr std::uint8_t kBusy = 0x79;
inline constexpr std::uint8_t kFtstat = 0x7A;
inline constexpr std::uint8_t kPivdatar = 0x80;
inline constexpr std::uint8_t kGenauthr = 0x81;
inline constexpr std::uint8_t kCrauthr = 0x82;
inline constexpr std::uint8_t kMfgstatr = 0x83;
inline constexpr std::uint8_t kMfgerrr = 0x84;
inline constexpr std::uint8_t kMfgrep = 0x90;
inline constexpr std::uint8_t kXrd = 0xB1;
}  // namespace reply

// The first data byte of osdp_NAK.
enum class NakCode : std::uint8_t {
  kNone = 0x00,
  kCheckCharacter = 0x01,       // bad checksum or CRC
  kCommandLength = 0x02,        // also: packet longer than the PD's receive buffer
  kUnknownCommand = 0x03,
  kSequenceNumber = 0x04,
  kScUnsupported = 0x05,        // PD does not support the security block received
  kScConditionsNotMet = 0x06,   // encryption required, or a bad MAC
  kBioTypeUnsupported = 0x07,
  kBioFormatUnsupported = 0x08,
  kUnableToProcess = 0x09,
};

// SEC_BLK_TYPE. Only 0x15..0x18 carry a 4-byte MAC before the check characters.
namespace scs {
inline constexpr std::uint8_t k11 = 0x11;  // CP -> PD osdp_CHLNG; data byte: 0 = SCBK-D, 1 = SCBK
inline constexpr std::uint8_t k12 = 0x12;  // PD -> CP osdp_CCRYPT
inline constexpr std::uint8_t k13 = 0x13;  // CP -> PD osdp_SCRYPT
inline constexpr std::uint8_t k14 = 0x14;  // PD -> CP osdp_RMAC_I
inline constexpr std::uint8_t k15 = 0x15;  // CP -> PD, MAC, data in clear
inline constexpr std::uint8_t k16 = 0x16;  // PD -> CP, MAC, data in clear
inline constexpr std::uint8_t k17 = 0x17;  // CP -> PD, MAC, data encrypted
inline constexpr std::uint8_t k18 = 0x18;  // PD -> CP, MAC, data encrypted
}  // namespace scs

constexpr bool scb_type_has_mac(std::uint8_t type) { return type >= scs::k15 && type <= scs::k18; }
constexpr bool scb_type_encrypts_data(std::uint8_t type) {
  return type == scs::k17 || type == scs::k18;
}

}  // namespace gatehouse::readers::osdp
