// Bytes as lowercase hex text and back, for digests, ids, sealed keys in the
// journal and bytea parameters. (Card bits have their own right-aligned form in
// readers/wiegand.h.)
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace gatehouse {

std::string to_hex(std::span<const std::uint8_t> bytes);

// nullopt unless the text is an even number of hex digits (either case).
std::optional<std::vector<std::uint8_t>> from_hex(std::string_view text);

}  // namespace gatehouse
