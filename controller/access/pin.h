// Badge PINs: hashing at enrolment and verification at a card-and-pin door.
//
// Hashes are libsodium crypto_pwhash_str strings (Argon2id) at the library's
// MINIMUM cost (1 pass over 8 KiB). That is deliberate. A PIN is 4 to 12 digits:
// at most 10^12 candidates and usually 10^4, so no affordable work factor makes an
// offline search of a stolen hash slow; what protects a PIN is that the badge is
// needed as well and that the engine locks the badge out after a few wrong PINs
// (Site::pin_attempts, Site::pin_lockout_minutes). Meanwhile every verification
// runs on the reactor, in the middle of a decision, and must stay well under a
// millisecond (tests/bench/bench_decide.cpp prints the figure): the interactive
// limits (64 MiB, ~0.1 s) would stall every door of the site for each PIN.
// A hash still salts, so equal PINs do not show as equal hashes in the database.
//
// Thread safety: the functions are safe from any thread.
#pragma once

#include <string>
#include <string_view>

#include "base/result.h"

namespace gatehouse::controller::access {

// kInvalidInput unless `pin` is 4 to 12 ASCII digits; kInternal if libsodium
// fails (it cannot initialise, or cannot allocate its 8 KiB).
Result<std::string> hash_pin(std::string_view pin);

// True when `pin` matches `hash` (a hash_pin result, or any crypto_pwhash_str
// string: its own parameters are used). False for an empty or malformed hash.
bool verify_pin(const std::string& hash, std::string_view pin);

}  // namespace gatehouse::controller::access
