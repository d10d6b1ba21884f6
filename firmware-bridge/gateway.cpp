#include "firmware-bridge/gateway.h"

#include <iostream>

namespace gatehouse::bridge {

int run_gateway(const std::vector<std::string>&) {
  std::cerr << "gatehouse-bridge: gateway mode is not built yet in this version\n";
  return 2;
}

}  // namespace gatehouse::bridge
