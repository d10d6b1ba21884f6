// libmodbus errors as values: the edge where libmodbus's errno codes (its own
// EMB* codes and the system's) become an ErrorKind for the door logic and a
// fault class for the bus's link rules, keeping libmodbus's own message.
//
// Thread safety: pure functions; the category is a stateless singleton.
#pragma once

#include <string>
#include <string_view>
#include <system_error>

#include "base/result.h"

namespace gatehouse::controller::doors {

// errno values as libmodbus sets them; message() is modbus_strerror().
const std::error_category& modbus_category();
inline std::error_code modbus_error_code(int errnum) {
  return {errnum, modbus_category()};
}

// What a failed request says about the module and the line, which decides what
// the bus does next (docs/modbus.md, "Errors").
enum class Fault {
  kException,  // the module answered with a Modbus exception: it is there, it refused
  kNoAnswer,   // nothing (or not all of a frame) within timeout_ms
  kBadAnswer,  // an answer that is not one: bad CRC, garbage, another unit, wrong length
  kLinkDown,   // the connection or the device is gone: reconnect
  kLocal,      // our side: bad arguments, out of resources; not the module's fault
};
std::string_view fault_name(Fault fault);
Fault classify(int errnum);

// The kind a caller branches on: exceptions 1-3 (illegal function, address,
// value) are kInvalidInput (the coil or function does not exist on that
// module); everything the module or the line did is kUnavailable; a serial
// device that cannot be opened is kIo; the rest kInternal.
ErrorKind modbus_error_kind(int errnum);

// "Modbus exception 2: illegal data address"; empty when errnum is not an
// exception.
std::string describe_exception(int errnum);

// An Error of modbus_error_kind(errnum) whose message is "context: " followed
// by libmodbus's message (or describe_exception for exceptions).
Error modbus_error(int errnum, std::string_view context);

}  // namespace gatehouse::controller::doors
