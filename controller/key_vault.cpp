#include "controller/key_vault.h"

#include <fcntl.h>
#include <sodium.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>

namespace gatehouse::controller {

static_assert(crypto_secretbox_KEYBYTES == 32 && crypto_secretbox_NONCEBYTES == 24 &&
              crypto_secretbox_MACBYTES == 16);

std::filesystem::path key_file_path(const std::filesystem::path& var_dir) {
  if (const char* env = std::getenv("GATEHOUSE_KEY_FILE"); env != nullptr && *env != '\0') return env;
  return var_dir / "keys" / "vault.key";
}

Result<KeyVault> KeyVault::open(const std::filesystem::path& key_file) {
  if (sodium_init() < 0) return make_error(ErrorKind::kInternal, "libsodium failed to initialise");
  KeyVault v;
  int fd = ::open(key_file.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0 && errno == ENOENT) {
    std::error_code ec;
    std::filesystem::create_directories(key_file.parent_path(), ec);
    ::chmod(key_file.parent_path().c_str(), 0700);
    randombytes_buf(v.key_.data(), v.key_.size());
    int out = ::open(key_file.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
    if (out < 0) {
      return make_error(ErrorKind::kIo, "cannot create key file " + key_file.string() + ": " +
                                            std::strerror(errno));
    }
    bool ok = ::write(out, v.key_.data(), v.key_.size()) == static_cast<ssize_t>(v.key_.size()) &&
              ::fsync(out) == 0;
    ::close(out);
    if (!ok) return make_error(ErrorKind::kIo, "cannot write key file " + key_file.string());
    return v;
  }
  if (fd < 0) {
    return make_error(ErrorKind::kIo, "cannot read key file " + key_file.string() + ": " +
                                          std::strerror(errno));
  }
  struct stat st {};
  ::fstat(fd, &st);
  ssize_t n = ::read(fd, v.key_.data(), v.key_.size());
  ::close(fd);
  if (n != static_cast<ssize_t>(v.key_.size()) || st.st_size != static_cast<off_t>(v.key_.size())) {
    return make_error(ErrorKind::kInvalidInput,
                      "key file " + key_file.string() + " is not 32 bytes; refusing to use it");
  }
  if ((st.st_mode & 077) != 0) {
    return make_error(ErrorKind::kInvalidInput,
                      "key file " + key_file.string() +
                          " is readable by others; chmod 600 it before starting");
  }
  return v;
}

KeyVault::KeyVault(KeyVault&& o) noexcept : key_(o.key_) { sodium_memzero(o.key_.data(), o.key_.size()); }

KeyVault& KeyVault::operator=(KeyVault&& o) noexcept {
  key_ = o.key_;
  sodium_memzero(o.key_.data(), o.key_.size());
  return *this;
}

KeyVault::~KeyVault() { sodium_memzero(key_.data(), key_.size()); }

db::SealedKey KeyVault::seal(const std::string& reader_id, const ReaderKey& key,
                             const std::string& set_by) const {
  db::SealedKey sealed;
  sealed.reader_id = reader_id;
  sealed.set_by = set_by;
  sealed.nonce.resize(crypto_secretbox_NONCEBYTES);
  randombytes_buf(sealed.nonce.data(), sealed.nonce.size());
  sealed.ciphertext.resize(key.size() + crypto_secretbox_MACBYTES);
  crypto_secretbox_easy(sealed.ciphertext.data(), key.data(), key.size(), sealed.nonce.data(),
                        key_.data());
  return sealed;
}

Result<ReaderKey> KeyVault::open_key(const db::SealedKey& sealed) const {
  ReaderKey key{};
  if (sealed.ciphertext.size() != key.size() + crypto_secretbox_MACBYTES ||
      sealed.nonce.size() != crypto_secretbox_NONCEBYTES ||
      crypto_secretbox_open_easy(key.data(), sealed.ciphertext.data(), sealed.ciphertext.size(),
                                 sealed.nonce.data(), key_.data()) != 0) {
    return make_error(ErrorKind::kConflict,
                      "the key of reader '" + sealed.reader_id +
                          "' does not open with this controller's key file (another vault key, or "
                          "tampered); set the reader up again in install mode");
  }
  return key;
}

}  // namespace gatehouse::controller
