// gatehouse-bridge: the edge program beside the door hardware. Its gateway and
// simulator modes arrive with the firmware-bridge work; until then it only
// identifies itself, so that packaging and the build layout are settled.
#include <iostream>
#include <string>

namespace {

constexpr const char* kUsage = R"(usage: gatehouse-bridge COMMAND

Commands:
  version                 print the version
  gateway CONFIG          serial OSDP / Modbus RTU / Wiegand firmware gateway (not built yet)
  simulate SITEFILE       virtual readers and door modules for a site (not built yet)
)";

}  // namespace

int main(int argc, char** argv) {
  std::string command = argc > 1 ? argv[1] : "";
  if (command == "version" || command == "--version") {
    std::cout << "gatehouse-bridge " << GATEHOUSE_VERSION << "\n";
    return 0;
  }
  if (command == "help" || command == "--help" || command == "-h") {
    std::cout << kUsage;
    return 0;
  }
  if (command == "gateway" || command == "simulate") {
    std::cerr << "gatehouse-bridge: '" << command << "' is not built yet in this version\n";
    return 2;
  }
  std::cerr << kUsage;
  return 2;
}
