#include "firmware-bridge/gw_firmware_line.h"

#include <charconv>

namespace gatehouse::bridge {
namespace {

std::vector<std::string_view> split_words(std::string_view line) {
  std::vector<std::string_view> words;
  std::size_t i = 0;
  while (i < line.size()) {
    while (i < line.size() && line[i] == ' ') ++i;
    std::size_t start = i;
    while (i < line.size() && line[i] != ' ') ++i;
    if (i > start) words.push_back(line.substr(start, i - start));
  }
  return words;
}

Error bad(std::string message) { return make_error(ErrorKind::kInvalidInput, std::move(message)); }

}  // namespace

Result<FirmwareLine> parse_firmware_line(std::string_view line) {
  if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
  for (char c : line) {
    if (static_cast<unsigned char>(c) < 0x20 || static_cast<unsigned char>(c) > 0x7E) {
      return bad("a line has printable ASCII only");
    }
  }
  auto words = split_words(line);
  if (words.empty()) return bad("empty line");
  const std::string_view verb = words[0];
  if (verb == "CARD") {
    if (words.size() != 3) return bad("expected CARD <bits> <hex>");
    int bits = 0;
    auto [end, ec] = std::from_chars(words[1].data(), words[1].data() + words[1].size(), bits);
    if (ec != std::errc() || end != words[1].data() + words[1].size()) return bad("CARD: bit count is not a number");
    Result<readers::RawCard> card = readers::raw_card_from_hex(words[2], bits);
    if (!card.ok()) return bad("CARD: " + card.error().message);
    return FirmwareLine{CardLine{std::move(card.value())}};
  }
  if (verb == "KEY") {
    if (words.size() != 2) return bad("expected KEY <digits>");
    for (char c : words[1]) {
      if (!((c >= '0' && c <= '9') || c == '*' || c == '#')) return bad("KEY: only 0-9, * and #");
    }
    if (words[1].size() > 64) return bad("KEY: at most 64 keys in a line");
    return FirmwareLine{KeyLine{std::string(words[1])}};
  }
  if (verb == "TAMPER") {
    if (words.size() != 2 || (words[1] != "0" && words[1] != "1")) return bad("expected TAMPER 0 or TAMPER 1");
    return FirmwareLine{TamperLine{words[1] == "1"}};
  }
  if (verb == "HB") {
    if (words.size() != 1) return bad("expected HB alone");
    return FirmwareLine{HeartbeatLine{}};
  }
  return bad("unknown line '" + std::string(verb.substr(0, 16)) + "'");
}

std::string_view led_color_name(std::uint8_t color) {
  switch (color) {
    case 0: return "black";
    case 1: return "red";
    case 2: return "green";
    case 3: return "amber";
    case 4: return "blue";
    default: return "black";  // colours the firmware cannot show: off
  }
}

std::optional<std::string> led_line(const readers::osdp::LedCommand& led) {
  if (led.temp_control == 2) {
    return "LED " + std::string(led_color_name(led.temp_on_color)) + " " + std::to_string(led.temp_on_100ms) +
           " " + std::to_string(led.temp_off_100ms) + "\n";
  }
  if (led.perm_control == 1) {
    return "LED " + std::string(led_color_name(led.perm_on_color)) + " " + std::to_string(led.perm_on_100ms) +
           " " + std::to_string(led.perm_off_100ms) + "\n";
  }
  return std::nullopt;
}

std::string buzzer_line(const readers::osdp::BuzzerCommand& buzzer) {
  if (buzzer.tone == 1 || buzzer.tone == 0) return "BUZ 0 0 0\n";
  return "BUZ " + std::to_string(buzzer.count) + " " + std::to_string(buzzer.on_100ms) + " " +
         std::to_string(buzzer.off_100ms) + "\n";
}

std::vector<std::string> LineSplitter::feed(std::string_view bytes) {
  std::vector<std::string> lines;
  for (char c : bytes) {
    if (c == '\n') {
      if (!discarding_) lines.push_back(std::move(partial_));
      partial_.clear();
      discarding_ = false;
      continue;
    }
    if (discarding_) continue;
    if (partial_.size() >= kMaxFirmwareLineBytes) {
      ++overlong_;
      partial_.clear();
      discarding_ = true;
      continue;
    }
    partial_ += c;
  }
  return lines;
}

bool LineRateLimiter::admit(TimePoint now, bool& first_refusal) {
  first_refusal = false;
  if (now - window_start_ >= std::chrono::seconds(1)) {
    window_start_ = now;
    in_window_ = 0;
  }
  if (in_window_ < per_second_) {
    ++in_window_;
    return true;
  }
  if (in_window_ == per_second_) {
    first_refusal = true;
    ++in_window_;
  }
  ++refused_;
  return false;
}

}  // namespace gatehouse::bridge
