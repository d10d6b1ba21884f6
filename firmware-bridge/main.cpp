// gatehouse-bridge: the edge program beside the door hardware. Gateway mode
// presents serial devices (OSDP buses, Modbus RTU modules, Wiegand readers
// behind a microcontroller) over TCP; simulator mode provides virtual readers
// and door modules for a site (the demo and the tests).
#include <iostream>
#include <string>
#include <vector>

#include "firmware-bridge/gateway.h"
#include "firmware-bridge/simulate.h"

namespace {

constexpr const char* kUsage = R"(usage: gatehouse-bridge COMMAND

Commands:
  version                 print the version
  gateway CONFIG          serial OSDP / Modbus RTU / Wiegand firmware gateway (docs/firmware-bridge.md)
  simulate SITEFILE       virtual readers and door modules for a site (docs/simulator.md)
)";

}  // namespace

int main(int argc, char** argv) {
  std::vector<std::string> args(argv, argv + argc);
  const std::string command = args.size() > 1 ? args[1] : "";
  if (command == "version" || command == "--version") {
    std::cout << "gatehouse-bridge " << GATEHOUSE_VERSION << "\n";
    return 0;
  }
  if (command == "help" || command == "--help" || command == "-h") {
    std::cout << kUsage;
    return 0;
  }
  if (command == "gateway") return gatehouse::bridge::run_gateway(args);
  if (command == "simulate") return gatehouse::bridge::run_simulate(args);
  std::cerr << kUsage;
  return 2;
}
