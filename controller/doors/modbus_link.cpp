#include "controller/doors/modbus_link.h"

#include <modbus/modbus.h>

#include <algorithm>
#include <utility>

#include "controller/doors/modbus_error.h"

namespace gatehouse::controller::doors {
namespace {

std::string failed_polls_reason(int errnum) {
  if (classify(errnum) == Fault::kException) return describe_exception(errnum);
  std::string out =
      classify(errnum) == Fault::kNoAnswer ? "no answer for " : "no valid answer for ";
  out += std::to_string(LinkTracker::kFailedPollsOffline);
  out += " polls (";
  out += modbus_strerror(errnum);
  out += ")";
  return out;
}

}  // namespace

std::string_view link_state_name(LinkState state) {
  switch (state) {
    case LinkState::kUnknown:
      return "unknown";
    case LinkState::kOnline:
      return "online";
    case LinkState::kOffline:
      return "offline";
  }
  return "?";
}

std::optional<LinkChange> LinkTracker::good_poll() {
  failed_polls_ = 0;
  refusing_ = false;
  if (state_ == LinkState::kOnline) return std::nullopt;
  state_ = LinkState::kOnline;
  reason_.clear();
  return LinkChange{true, "answering"};
}

std::optional<LinkChange> LinkTracker::failed_poll(int errnum) {
  ++failed_polls_;
  refusing_ = classify(errnum) == Fault::kException;
  if (state_ == LinkState::kOffline || failed_polls_ < kFailedPollsOffline) return std::nullopt;
  state_ = LinkState::kOffline;
  reason_ = failed_polls_reason(errnum);
  return LinkChange{false, reason_};
}

std::optional<LinkChange> LinkTracker::link_lost(std::string reason) {
  refusing_ = false;
  if (state_ == LinkState::kOffline) return std::nullopt;
  state_ = LinkState::kOffline;
  reason_ = std::move(reason);
  return LinkChange{false, reason_};
}

Backoff::Duration Backoff::next() {
  Duration out = next_;
  next_ = std::min(next_ * 2, cap_);
  return out;
}

}  // namespace gatehouse::controller::doors
