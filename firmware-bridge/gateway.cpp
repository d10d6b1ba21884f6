#include "firmware-bridge/gateway.h"

#include <csignal>
#include <iostream>
#include <memory>

#include "base/log.h"
#include "firmware-bridge/gw_config.h"
#include "firmware-bridge/gw_modbus.h"
#include "firmware-bridge/gw_osdp_relay.h"
#include "firmware-bridge/gw_wiegand.h"

namespace gatehouse::bridge {

int run_gateway(const std::vector<std::string>& args) {
  if (args.size() != 3) {
    std::cerr << "usage: gatehouse-bridge gateway CONFIG   (docs/firmware-bridge.md)\n";
    return 2;
  }
  const std::string& path = args[2];
  ConfigOutcome outcome = parse_gateway_config_file(path);
  if (!outcome.problems.empty()) {
    for (const auto& p : outcome.problems) std::cerr << format_config_problem(p, path) << "\n";
    std::cerr << "gatehouse-bridge: " << outcome.problems.size() << " problem(s) in " << path
              << "; nothing started\n";
    return 2;
  }

  // Block the stop signals before any thread starts, so that only sigwait sees them.
  sigset_t stop_signals;
  sigemptyset(&stop_signals);
  sigaddset(&stop_signals, SIGINT);
  sigaddset(&stop_signals, SIGTERM);
  pthread_sigmask(SIG_BLOCK, &stop_signals, nullptr);

  std::vector<std::unique_ptr<OsdpRelay>> relays;
  std::vector<std::unique_ptr<ModbusGateway>> modbus;
  std::vector<std::unique_ptr<WiegandReader>> wiegand;
  auto fail = [&path](int line, const Error& e) {
    std::cerr << path << ":" << line << ": " << e.message << "\n"
              << "gatehouse-bridge: gateway not started\n";
    return 1;
  };
  for (const auto& c : outcome.config.osdp_relays) {
    auto r = OsdpRelay::start(c);
    if (!r.ok()) return fail(c.line, r.error());
    relays.push_back(std::move(r.value()));
  }
  for (const auto& c : outcome.config.modbus_gateways) {
    auto r = ModbusGateway::start(c);
    if (!r.ok()) return fail(c.line, r.error());
    modbus.push_back(std::move(r.value()));
  }
  for (const auto& c : outcome.config.wiegand_readers) {
    auto r = WiegandReader::start(c);
    if (!r.ok()) return fail(c.line, r.error());
    wiegand.push_back(std::move(r.value()));
  }
  log(LogLevel::kInfo, "bridge", "gateway running",
      {{"config", path}, {"osdp_relays", std::to_string(relays.size())},
       {"modbus_gateways", std::to_string(modbus.size())}, {"wiegand_readers", std::to_string(wiegand.size())}});

  int signal = 0;
  sigwait(&stop_signals, &signal);
  log(LogLevel::kInfo, "bridge", "gateway stopping", {{"signal", std::to_string(signal)}});
  return 0;
}

}  // namespace gatehouse::bridge
