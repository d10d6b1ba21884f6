#include "db/badge_lifecycle.h"

#include <array>

namespace gatehouse::db {
namespace {

struct Transition {
  BadgeState from;
  BadgeAction action;
  BadgeState to;
};

// The whole lifecycle. The trigger badges_lifecycle (0002_access.sql) holds
// the same pairs; a change here needs a migration there.
constexpr std::array<Transition, 6> kTransitions = {{
    {BadgeState::kIssued, BadgeAction::kActivate, BadgeState::kActive},
    {BadgeState::kActive, BadgeAction::kSuspend, BadgeState::kSuspended},
    {BadgeState::kSuspended, BadgeAction::kReinstate, BadgeState::kActive},
    {BadgeState::kIssued, BadgeAction::kRevoke, BadgeState::kRevoked},
    {BadgeState::kActive, BadgeAction::kRevoke, BadgeState::kRevoked},
    {BadgeState::kSuspended, BadgeAction::kRevoke, BadgeState::kRevoked},
}};

constexpr std::array<BadgeState, 4> kStates = {BadgeState::kIssued, BadgeState::kActive,
                                               BadgeState::kSuspended, BadgeState::kRevoked};
constexpr std::array<BadgeAction, 4> kActions = {BadgeAction::kActivate, BadgeAction::kSuspend,
                                                 BadgeAction::kReinstate, BadgeAction::kRevoke};

}  // namespace

std::optional<BadgeState> next_state(BadgeState from, BadgeAction action) {
  for (const Transition& t : kTransitions) {
    if (t.from == from && t.action == action) return t.to;
  }
  return std::nullopt;
}

std::string_view to_string(BadgeState state) {
  switch (state) {
    case BadgeState::kIssued:
      return "issued";
    case BadgeState::kActive:
      return "active";
    case BadgeState::kSuspended:
      return "suspended";
    case BadgeState::kRevoked:
      return "revoked";
  }
  return "unknown";
}

std::string_view to_string(BadgeAction action) {
  switch (action) {
    case BadgeAction::kActivate:
      return "activate";
    case BadgeAction::kSuspend:
      return "suspend";
    case BadgeAction::kReinstate:
      return "reinstate";
    case BadgeAction::kRevoke:
      return "revoke";
  }
  return "unknown";
}

std::optional<BadgeState> parse_badge_state(std::string_view text) {
  for (BadgeState s : kStates) {
    if (to_string(s) == text) return s;
  }
  return std::nullopt;
}

std::optional<BadgeAction> parse_badge_action(std::string_view text) {
  for (BadgeAction a : kActions) {
    if (to_string(a) == text) return a;
  }
  return std::nullopt;
}

std::string describe_refusal(std::int64_t badge_id, BadgeState from, BadgeAction action) {
  const std::string badge = "badge " + std::to_string(badge_id);
  switch (from) {
    case BadgeState::kRevoked:
      switch (action) {
        case BadgeAction::kRevoke:
          return badge + " is already revoked";
        case BadgeAction::kSuspend:
          return badge + " is revoked; a revoked badge cannot be suspended: revoked is final";
        case BadgeAction::kActivate:
        case BadgeAction::kReinstate:
          return badge + " is revoked; a revoked badge cannot be reactivated: issue a new badge";
      }
      break;
    case BadgeState::kIssued:
      switch (action) {
        case BadgeAction::kSuspend:
          return badge +
                 " is issued but was never activated, so it cannot be suspended: "
                 "activate it, or revoke it";
        case BadgeAction::kReinstate:
          return badge + " is issued, not suspended: activate it instead";
        case BadgeAction::kActivate:
        case BadgeAction::kRevoke:
          break;
      }
      break;
    case BadgeState::kActive:
      switch (action) {
        case BadgeAction::kActivate:
          return badge + " is already active";
        case BadgeAction::kReinstate:
          return badge + " is active, not suspended: there is nothing to reinstate";
        case BadgeAction::kSuspend:
        case BadgeAction::kRevoke:
          break;
      }
      break;
    case BadgeState::kSuspended:
      switch (action) {
        case BadgeAction::kSuspend:
          return badge + " is already suspended";
        case BadgeAction::kActivate:
          return badge + " is suspended: reinstate it instead of activating it";
        case BadgeAction::kReinstate:
        case BadgeAction::kRevoke:
          break;
      }
      break;
  }
  return badge + " is " + std::string(to_string(from)) + "; '" + std::string(to_string(action)) +
         "' is allowed from there, so nothing was refused";
}

}  // namespace gatehouse::db
