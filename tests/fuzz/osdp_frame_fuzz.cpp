// Fuzz target for the OSDP frame parser (readers/osdp_frame.h).
//
// Input: byte 0 chooses the chunking and the size limit, the rest is what
// arrives on the line. The line is parsed twice, all at once and in chunks of
// 1..32 bytes the way a serial port delivers it, and these must hold:
//   - every kSkip and kPacket consumes at least 1 and at most the buffered bytes;
//   - kWait leaves fewer bytes buffered than a packet could need;
//   - a parsed packet, rebuilt, gives exactly the bytes it was parsed from, and
//     its MAC input length lies inside it;
//   - both deliveries find the same packets: chunking never changes the result.
// A broken invariant prints what broke and aborts (libFuzzer then saves the input).
//
// Built with GATEHOUSE_FUZZ_REPLAY, the file gets a main() that runs the
// function over the files and folders named on the command line (the seed
// corpus), each with several chunking seeds: the ctest entry.
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <span>
#include <vector>

#include "readers/osdp_frame.h"

namespace {

using gatehouse::readers::osdp::build_packet;
using gatehouse::readers::osdp::parse_packet;
using gatehouse::readers::osdp::ParseOptions;
using gatehouse::readers::osdp::ParseResult;
using gatehouse::readers::osdp::ParseStatus;
using Bytes = std::vector<std::uint8_t>;

void require(bool ok, const char* what) {
  if (!ok) {
    std::fprintf(stderr, "osdp_frame_fuzz: invariant broken: %s\n", what);
    std::abort();
  }
}

// Parses what `buffer` holds until the parser waits; appends the wire bytes of
// each packet found.
void drain(Bytes& buffer, const ParseOptions& options, std::vector<Bytes>& packets) {
  for (;;) {
    ParseResult r = parse_packet(buffer, options);
    if (r.status == ParseStatus::kWait) {
      require(r.consumed == 0, "kWait consumes nothing");
      require(buffer.size() < options.max_packet_bytes || buffer.empty(),
              "kWait with a whole maximum-size packet buffered");
      return;
    }
    require(r.consumed >= 1, "kSkip/kPacket consume at least one byte");
    require(r.consumed <= buffer.size(), "consumed <= buffered");
    if (r.status == ParseStatus::kPacket) {
      Bytes wire(buffer.begin(), buffer.begin() + static_cast<std::ptrdiff_t>(r.consumed));
      require(r.mac_input_bytes <= wire.size(), "MAC input inside the packet");
      auto rebuilt = build_packet(r.packet, options.max_packet_bytes);
      require(rebuilt.ok(), "a parsed packet can be rebuilt");
      require(rebuilt.value() == wire, "rebuilt packet has the same bytes");
      packets.push_back(std::move(wire));
    }
    buffer.erase(buffer.begin(), buffer.begin() + static_cast<std::ptrdiff_t>(r.consumed));
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size == 0) return 0;
  const std::uint8_t seed = data[0];
  std::span<const std::uint8_t> line(data + 1, size - 1);
  ParseOptions options;
  if ((seed & 0x80) != 0) options.max_packet_bytes = 64;  // a small PD receive buffer

  std::vector<Bytes> at_once;
  Bytes buffer(line.begin(), line.end());
  drain(buffer, options, at_once);

  std::vector<Bytes> chunked;
  Bytes chunk_buffer;
  std::uint32_t state = seed;
  std::size_t pos = 0;
  while (pos < line.size()) {
    state = state * 1103515245U + 12345U;
    std::size_t n = 1 + (state >> 16) % 32;
    if (n > line.size() - pos) n = line.size() - pos;
    chunk_buffer.insert(chunk_buffer.end(), line.begin() + static_cast<std::ptrdiff_t>(pos),
                        line.begin() + static_cast<std::ptrdiff_t>(pos + n));
    pos += n;
    drain(chunk_buffer, options, chunked);
  }
  require(at_once == chunked, "chunked delivery finds the same packets");
  require(buffer == chunk_buffer, "chunked delivery leaves the same bytes waiting");
  return 0;
}

#ifdef GATEHOUSE_FUZZ_REPLAY
#include <filesystem>
#include <fstream>
#include <iterator>

int main(int argc, char** argv) {
  namespace fs = std::filesystem;
  std::size_t runs = 0;
  for (int i = 1; i < argc; ++i) {
    std::vector<fs::path> files;
    if (fs::is_directory(argv[i])) {
      for (const auto& entry : fs::directory_iterator(argv[i])) {
        if (entry.is_regular_file()) files.push_back(entry.path());
      }
    } else {
      files.emplace_back(argv[i]);
    }
    for (const fs::path& file : files) {
      std::ifstream in(file, std::ios::binary);
      Bytes input((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
      if (!in.eof() && in.fail()) {
        std::fprintf(stderr, "cannot read %s\n", file.c_str());
        return 1;
      }
      // The file's own seed, then others: other chunkings and the small limit.
      LLVMFuzzerTestOneInput(input.data(), input.size());
      ++runs;
      if (input.empty()) continue;
      for (std::uint8_t seed : {0x00, 0x01, 0x07, 0x1F, 0x80, 0xC3}) {
        input[0] = seed;
        LLVMFuzzerTestOneInput(input.data(), input.size());
        ++runs;
      }
    }
  }
  std::printf("osdp_frame_fuzz_replay: %zu runs, all invariants held\n", runs);
  return runs == 0 ? 1 : 0;  // an empty corpus is a broken setup, not a pass
}
#endif
