#include "firmware-bridge/sim_script.h"

#include <arpa/inet.h>

#include <array>
#include <charconv>
#include <cmath>
#include <cstdlib>

namespace gatehouse::bridge {
namespace {

Error invalid(std::string message) { return make_error(ErrorKind::kInvalidInput, std::move(message)); }

bool parse_u64(std::string_view text, std::uint64_t& out) {
  if (text.empty()) return false;
  const auto [ptr, ec] = std::from_chars(text.data(), text.data() + text.size(), out);
  return ec == std::errc{} && ptr == text.data() + text.size();
}

constexpr std::array<std::string_view, 9> kCommands = {"present", "exit",   "force",  "hold",  "tamper",
                                                       "unplug",  "replug", "status", "quit"};

}  // namespace

bool is_command_word(std::string_view word) {
  for (std::string_view c : kCommands) {
    if (c == word) return true;
  }
  return false;
}

Result<readers::RawCard> parse_card_spec(std::string_view spec) {
  if (!spec.empty() && spec.find_first_not_of("01") == std::string_view::npos) {
    return readers::raw_card_from_bit_string(spec);
  }
  std::vector<std::string_view> parts;
  std::size_t start = 0;
  for (;;) {
    const std::size_t colon = spec.find(':', start);
    parts.push_back(spec.substr(start, colon == std::string_view::npos ? std::string_view::npos : colon - start));
    if (colon == std::string_view::npos) break;
    start = colon + 1;
  }
  std::string usage = "card '";
  usage += spec;
  usage += "': expected FORMAT:FACILITY:NUMBER (e.g. H10301:42:1001), FORMAT:NUMBER or bits 0101...";
  if (parts.size() < 2 || parts.size() > 3) return invalid(std::move(usage));
  const auto format = readers::parse_format_name(parts[0]);
  if (!format || *format == readers::CardFormat::kRaw) {
    std::string m = "card '";
    m += spec;
    m += "': unknown format '";
    m += parts[0];
    m += "' (H10301, H10302, H10304, C1000-35, C1000-48)";
    return invalid(std::move(m));
  }
  std::uint64_t facility = 0;
  std::uint64_t number = 0;
  const bool ok = parts.size() == 3 ? parse_u64(parts[1], facility) && parse_u64(parts[2], number)
                                    : parse_u64(parts[1], number);
  if (!ok) return invalid(std::move(usage));
  return readers::encode_card(*format, facility, number);
}

std::vector<std::string> split_words(std::string_view line) {
  std::vector<std::string> words;
  std::size_t i = 0;
  while (i < line.size()) {
    while (i < line.size() && (line[i] == ' ' || line[i] == '\t' || line[i] == '\r' || line[i] == '\n')) ++i;
    std::size_t j = i;
    while (j < line.size() && !(line[j] == ' ' || line[j] == '\t' || line[j] == '\r' || line[j] == '\n')) ++j;
    if (j > i) words.emplace_back(line.substr(i, j - i));
    i = j;
  }
  return words;
}

Result<std::vector<ScenarioStep>> parse_scenario(std::string_view text) {
  std::vector<ScenarioStep> steps;
  int line_no = 0;
  std::int64_t last_us = 0;
  std::size_t pos = 0;
  while (pos <= text.size()) {
    const std::size_t end = text.find('\n', pos);
    std::string_view line = text.substr(pos, end == std::string_view::npos ? std::string_view::npos : end - pos);
    pos = end == std::string_view::npos ? text.size() + 1 : end + 1;
    ++line_no;
    if (const std::size_t hash = line.find('#'); hash != std::string_view::npos) line = line.substr(0, hash);
    std::vector<std::string> words = split_words(line);
    if (words.empty()) continue;
    std::string where = "scenario line ";
    where += std::to_string(line_no);
    where += ": ";
    char* stop = nullptr;
    const double seconds = std::strtod(words[0].c_str(), &stop);
    if (stop == words[0].c_str() || *stop != '\0' || !std::isfinite(seconds) || seconds < 0 || seconds > 1e7) {
      return invalid(where + "expected AT_SECONDS COMMAND..., e.g. 1.5 present r-main-in H10301:42:1001");
    }
    if (words.size() < 2 || !is_command_word(words[1])) {
      return invalid(where + "unknown or missing command (present, exit, force, hold, tamper, unplug, replug, status, quit)");
    }
    const auto at_us = static_cast<std::int64_t>(std::llround(seconds * 1e6));
    if (at_us < last_us) return invalid(where + "time goes backwards (lines run in order)");
    last_us = at_us;
    std::string command = words[1];
    for (std::size_t i = 2; i < words.size(); ++i) {
      command += ' ';
      command += words[i];
    }
    steps.push_back(ScenarioStep{at_us, std::move(command), line_no});
  }
  return steps;
}

Result<TcpEndpoint> parse_tcp_endpoint(std::string_view url) {
  constexpr std::string_view kScheme = "tcp://";
  std::string bad = "'";
  bad += url;
  bad += "' is not tcp://IPV4:PORT";
  if (url.substr(0, kScheme.size()) != kScheme) return invalid(std::move(bad));
  std::string_view rest = url.substr(kScheme.size());
  const std::size_t colon = rest.rfind(':');
  if (colon == std::string_view::npos) return invalid(std::move(bad));
  TcpEndpoint ep;
  ep.host = std::string(rest.substr(0, colon));
  if (ep.host == "localhost") ep.host = "127.0.0.1";
  std::uint64_t port = 0;
  in_addr addr{};
  if (!parse_u64(rest.substr(colon + 1), port) || port > 65535 || ::inet_pton(AF_INET, ep.host.c_str(), &addr) != 1) {
    return invalid(std::move(bad));
  }
  ep.port = static_cast<int>(port);
  return ep;
}

}  // namespace gatehouse::bridge
