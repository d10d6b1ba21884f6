#include "base/result.h"

namespace gatehouse {

std::string_view error_kind_name(ErrorKind kind) {
  switch (kind) {
    case ErrorKind::kInvalidInput: return "invalid_input";
    case ErrorKind::kNotFound: return "not_found";
    case ErrorKind::kConflict: return "conflict";
    case ErrorKind::kUnavailable: return "unavailable";
    case ErrorKind::kIo: return "io";
    case ErrorKind::kInternal: return "internal";
  }
  return "internal";
}

std::string Error::to_string() const {
  std::string out(error_kind_name(kind));
  out += ": ";
  out += message;
  return out;
}

}  // namespace gatehouse
