#include "controller/doors/modbus_error.h"

#include <modbus/modbus.h>

#include <cctype>
#include <cerrno>

namespace gatehouse::controller::doors {
namespace {

class ModbusCategory final : public std::error_category {
 public:
  const char* name() const noexcept override { return "modbus"; }
  std::string message(int ev) const override { return modbus_strerror(ev); }
};

bool is_exception(int errnum) {
  return errnum >= EMBXILFUN && errnum <= EMBXGTAR;
}

}  // namespace

const std::error_category& modbus_category() {
  static const ModbusCategory category;
  return category;
}

std::string_view fault_name(Fault fault) {
  switch (fault) {
    case Fault::kException:
      return "exception";
    case Fault::kNoAnswer:
      return "no_answer";
    case Fault::kBadAnswer:
      return "bad_answer";
    case Fault::kLinkDown:
      return "link_down";
    case Fault::kLocal:
      return "local";
  }
  return "?";
}

Fault classify(int errnum) {
  if (is_exception(errnum)) return Fault::kException;
  switch (errnum) {
    case ETIMEDOUT:
      return Fault::kNoAnswer;
    case EMBBADCRC:
    case EMBBADDATA:
    case EMBBADEXC:
    case EMBUNKEXC:
    case EMBMDATA:
    case EMBBADSLAVE:
      return Fault::kBadAnswer;
    case EINVAL:
    case ENOMEM:
    case EMFILE:
    case ENFILE:
    case ENOBUFS:
      return Fault::kLocal;
    default:
      // ECONNRESET, ECONNREFUSED, EPIPE, ENOTCONN, EBADF, EIO (a serial
      // adapter unplugged), EHOSTUNREACH... and anything unforeseen: the only
      // safe assumption is that the line is not usable as it is.
      return Fault::kLinkDown;
  }
}

ErrorKind modbus_error_kind(int errnum) {
  switch (errnum) {
    case EMBXILFUN:
    case EMBXILADD:
    case EMBXILVAL:
      return ErrorKind::kInvalidInput;
    case ENOENT:
    case EACCES:
    case EPERM:
    case EBUSY:
      return ErrorKind::kIo;  // a serial device that cannot be opened
    default:
      break;
  }
  return classify(errnum) == Fault::kLocal ? ErrorKind::kInternal : ErrorKind::kUnavailable;
}

std::string describe_exception(int errnum) {
  if (!is_exception(errnum)) return {};
  std::string text = modbus_strerror(errnum);
  if (!text.empty()) text[0] = static_cast<char>(std::tolower(static_cast<unsigned char>(text[0])));
  std::string out = "Modbus exception ";
  out += std::to_string(errnum - MODBUS_ENOBASE);
  out += ": ";
  out += text;
  return out;
}

Error modbus_error(int errnum, std::string_view context) {
  std::string message(context);
  if (!message.empty()) message += ": ";
  message += is_exception(errnum) ? describe_exception(errnum) : modbus_strerror(errnum);
  return make_error(modbus_error_kind(errnum), std::move(message));
}

}  // namespace gatehouse::controller::doors
