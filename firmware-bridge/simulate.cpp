#include "firmware-bridge/simulate.h"

#include <iostream>

namespace gatehouse::bridge {

int run_simulate(const std::vector<std::string>&) {
  std::cerr << "gatehouse-bridge: simulator mode is not built yet in this version\n";
  return 2;
}

}  // namespace gatehouse::bridge
