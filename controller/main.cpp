#include <sodium.h>

#include <iostream>

#include "controller/commands.h"

int main(int argc, char** argv) {
  if (sodium_init() < 0) {
    std::cerr << "gatehouse: libsodium failed to initialise\n";
    return 1;
  }
  std::vector<std::string> args(argv, argv + argc);
  return gatehouse::controller::run_command_line(args, std::cout, std::cerr);
}
