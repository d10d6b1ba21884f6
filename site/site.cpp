#include "site/site.h"

namespace gatehouse::site {

std::string_view to_string(AntiPassback v) {
  switch (v) {
    case AntiPassback::kNone: return "none";
    case AntiPassback::kSoft: return "soft";
    case AntiPassback::kHard: return "hard";
  }
  return "none";
}

std::string_view to_string(Polarity v) {
  return v == Polarity::kNormallyOpen ? "open" : "closed";
}

std::string_view to_string(FailMode v) { return v == FailMode::kSafe ? "safe" : "secure"; }

std::string_view to_string(DoorMode v) {
  return v == DoorMode::kCardAndPin ? "card-and-pin" : "card";
}

}  // namespace gatehouse::site
