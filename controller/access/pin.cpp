#include "controller/access/pin.h"

#include <sodium.h>

#include <algorithm>

namespace gatehouse::controller::access {
namespace {

// sodium_init() is idempotent but takes a lock each call; the static makes the
// later calls a plain load.
bool sodium_ready() {
  static const bool ready = sodium_init() >= 0;
  return ready;
}

}  // namespace

Result<std::string> hash_pin(std::string_view pin) {
  if (pin.size() < 4 || pin.size() > 12 ||
      !std::all_of(pin.begin(), pin.end(), [](char c) { return c >= '0' && c <= '9'; })) {
    return make_error(ErrorKind::kInvalidInput, "a PIN has 4 to 12 digits");
  }
  if (!sodium_ready()) return make_error(ErrorKind::kInternal, "libsodium failed to initialise");
  char out[crypto_pwhash_STRBYTES];
  if (crypto_pwhash_str(out, pin.data(), pin.size(), crypto_pwhash_OPSLIMIT_MIN,
                        crypto_pwhash_MEMLIMIT_MIN) != 0) {
    return make_error(ErrorKind::kInternal, "crypto_pwhash_str failed (out of memory)");
  }
  return std::string(out);
}

bool verify_pin(const std::string& hash, std::string_view pin) {
  if (hash.empty() || !sodium_ready()) return false;
  return crypto_pwhash_str_verify(hash.c_str(), pin.data(), pin.size()) == 0;
}

}  // namespace gatehouse::controller::access
