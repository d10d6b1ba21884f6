// The gateway configuration file (TOML, docs/firmware-bridge.md): a list of
// [[osdp_relay]], [[modbus_gateway]] and [[wiegand_reader]] tables. Every
// problem is reported with its line and key; a config with any problem is
// refused whole, so a half-understood gateway never starts.
//
// Thread safety: pure functions (apart from reading the file).
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace gatehouse::bridge {

struct Endpoint {
  std::string host;     // numeric or resolvable; "127.0.0.1" for loopback only
  std::uint16_t port = 0;  // 0: the kernel picks (tests)
};

struct SerialSettings {
  std::string device;
  unsigned baud = 9600;
  char parity = 'N';  // 'N', 'E' or 'O'
};

struct OsdpRelayConfig {
  Endpoint listen;
  SerialSettings serial;
  int line = 0;  // where the table starts in the file, for log lines
};

struct ModbusGatewayConfig {
  Endpoint listen;
  SerialSettings serial;
  int timeout_ms = 200;  // one RTU answer, first byte to last
  int line = 0;
};

struct WiegandReaderConfig {
  Endpoint listen;
  SerialSettings serial;
  std::uint8_t address = 0;  // the OSDP address the PD answers upstream
  int line = 0;
};

struct GatewayConfig {
  std::vector<OsdpRelayConfig> osdp_relays;
  std::vector<ModbusGatewayConfig> modbus_gateways;
  std::vector<WiegandReaderConfig> wiegand_readers;
};

struct ConfigProblem {
  int line = 0;      // 1-based; 0 when the problem has no single place
  std::string key;   // dotted path: osdp_relay[2].baud
  std::string message;
};

struct ConfigOutcome {
  GatewayConfig config;                 // meaningful only when problems is empty
  std::vector<ConfigProblem> problems;  // in file order
};

ConfigOutcome parse_gateway_config_text(std::string_view text, std::string_view source_name);
ConfigOutcome parse_gateway_config_file(const std::string& path);

// "FILE:LINE: KEY: MESSAGE" (":LINE" left out when 0, "KEY: " when empty).
std::string format_config_problem(const ConfigProblem& p, std::string_view source_name);

}  // namespace gatehouse::bridge
