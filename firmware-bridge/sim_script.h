// The simulator's text inputs: card specifications, command lines, scenario
// files and tcp:// endpoints. Pure functions of their arguments; any thread.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "base/result.h"
#include "readers/wiegand.h"

namespace gatehouse::bridge {

// "H10301:42:1001" (FORMAT:FACILITY:NUMBER), "H10302:123456" (a format without a
// facility field), or the bits "0101..." first bit first.
Result<readers::RawCard> parse_card_spec(std::string_view spec);

// Splits a command line on blanks.
std::vector<std::string> split_words(std::string_view line);

// One scenario line: at `at_us` after the start, run `command`.
struct ScenarioStep {
  std::int64_t at_us = 0;
  std::string command;
  int line = 0;  // 1-based line in the file
};

// Lines "AT_SECONDS COMMAND...", '#' comments and blank lines ignored. Times are
// non-negative and must not go backwards; the command's first word must be a
// known command. Every problem is reported with its line, the first one wins.
Result<std::vector<ScenarioStep>> parse_scenario(std::string_view text);

// The known command words (for the scenario check and the help text).
bool is_command_word(std::string_view word);

struct TcpEndpoint {
  std::string host;  // IPv4 dotted quad ("localhost" is read as 127.0.0.1)
  int port = 0;      // 0: the kernel chooses (tests)
};
// "tcp://HOST:PORT"; kInvalidInput for anything else (serial://, rtu://, names).
Result<TcpEndpoint> parse_tcp_endpoint(std::string_view url);

}  // namespace gatehouse::bridge
