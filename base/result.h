// Errors as values. Every foreign library's failure (libpq, libmodbus, FFmpeg,
// OSDP, the site file) is mapped at its edge to one of a few kinds, keeping the
// original message, so callers branch on the kind and show the message.
#pragma once

#include <string>
#include <string_view>
#include <utility>
#include <variant>

namespace gatehouse {

enum class ErrorKind {
  kInvalidInput,  // the caller's data is wrong; retrying will not help
  kNotFound,      // a named thing does not exist
  kConflict,      // the change contradicts what is stored (unique ids, refused transitions)
  kUnavailable,   // a peer (database, device) cannot be reached now; retrying may help
  kIo,            // local file or device I/O failed
  kInternal,      // a bug or an invariant broken
};

std::string_view error_kind_name(ErrorKind kind);

struct Error {
  ErrorKind kind = ErrorKind::kInternal;
  std::string message;

  std::string to_string() const;
};

inline Error make_error(ErrorKind kind, std::string message) {
  return Error{kind, std::move(message)};
}

// A value or an Error. Deliberately small: no exceptions, no implicit bool.
template <typename T>
class [[nodiscard]] Result {
 public:
  Result(T value) : v_(std::move(value)) {}  // NOLINT: implicit by design
  Result(Error error) : v_(std::move(error)) {}  // NOLINT

  bool ok() const { return v_.index() == 0; }
  T& value() & { return std::get<0>(v_); }
  const T& value() const& { return std::get<0>(v_); }
  T&& value() && { return std::get<0>(std::move(v_)); }
  const Error& error() const { return std::get<1>(v_); }
  T* operator->() { return &value(); }
  const T* operator->() const { return &value(); }
  T& operator*() & { return value(); }
  const T& operator*() const& { return value(); }

 private:
  std::variant<T, Error> v_;
};

// Result<void>: success carries nothing.
class [[nodiscard]] Status {
 public:
  Status() = default;
  Status(Error error) : error_(std::move(error)), ok_(false) {}  // NOLINT

  bool ok() const { return ok_; }
  const Error& error() const { return error_; }

 private:
  Error error_;
  bool ok_ = true;
};

}  // namespace gatehouse
