#include "tests/db/example_site.h"

namespace gatehouse::test_support {

site::Site example_site() {
  using namespace site;
  Site s;
  s.name = "Newcastle office";
  s.timezone = "Europe/London";
  s.suspend_unused_days = 90;
  s.pin_attempts = 5;
  s.pin_lockout_minutes = 15;

  Schedule business;
  business.id = "business-hours";
  for (int day = 0; day < 5; ++day) business.weekly[day] = {{7 * 60, 19 * 60 + 30}};
  business.weekly[5] = {{8 * 60, 13 * 60}};
  business.holidays = {"2026-12-25", "2026-12-26", "2027-01-01"};
  Schedule always;
  always.id = "always";
  for (int day = 0; day <= kHolidayDay; ++day) always.weekly[day] = {{0, 1440}};
  s.schedules = {business, always};

  s.areas = {
      {"outside", "", {}, false, AntiPassback::kNone},
      {"lobby", "Lobby and reception", {}, false, AntiPassback::kNone},
      {"office", "Open office", {}, false, AntiPassback::kSoft},
      {"it-storage", "IT storage room (servers, communications hardware)", {"it"}, false,
       AntiPassback::kNone},
  };
  s.groups = {{"staff", "All employees"}, {"it", "IT staff"}, {"visitors", "Visitors"}};
  s.access_levels = {
      {"office-hours", "", {"staff"}, {"main-entrance", "office-door"}, "business-hours"},
      {"it-storage", "", {"it"}, {"it-storage-door"}, "always"},
      {"visitor-hours", "", {"visitors"}, {"main-entrance", "office-door"}, "business-hours"},
      {"it-office", "", {"it"}, {"main-entrance", "office-door"}, "always"},
  };
  s.io_modules = {
      {"io-ground", "", "tcp://127.0.0.1:1502", 1, 100, 200, 2},
      {"io-it", "", "tcp://127.0.0.1:1503", 1, 100, 200, 2},
  };
  s.readers = {
      {"r-main-in", "", "tcp://127.0.0.1:4001", 1, true, false},
      {"r-office-in", "", "tcp://127.0.0.1:4002", 1, true, false},
      {"r-it-in", "", "tcp://127.0.0.1:4003", 1, true, true},
  };
  s.cameras = {
      {"cam-lobby", "", "rtsp://127.0.0.1:8554/lobby", 30},
      {"cam-office", "", "rtsp://127.0.0.1:8554/office", 30},
      {"cam-it", "", "rtsp://127.0.0.1:8554/it-storage", 90},
  };

  Door main;
  main.id = "main-entrance";
  main.from_area = "outside";
  main.to_area = "lobby";
  main.reader = "r-main-in";
  main.lock = {"io-ground", 0, FailMode::kSecure};
  main.contact = InputPoint{"io-ground", 0, Polarity::kNormallyClosed};
  main.exit_button = InputPoint{"io-ground", 1, Polarity::kNormallyOpen};
  main.unlock_seconds = 5;
  main.held_open_seconds = 30;
  main.cameras = {"cam-lobby"};
  main.unlocked_during = "business-hours";

  Door office;
  office.id = "office-door";
  office.from_area = "lobby";
  office.to_area = "office";
  office.reader = "r-office-in";
  office.lock = {"io-ground", 1, FailMode::kSecure};
  office.contact = InputPoint{"io-ground", 2, Polarity::kNormallyClosed};
  office.exit_button = InputPoint{"io-ground", 3, Polarity::kNormallyOpen};
  office.unlock_seconds = 5;
  office.held_open_seconds = 20;
  office.cameras = {"cam-office"};
  office.visitor_escort = true;

  Door it;
  it.id = "it-storage-door";
  it.from_area = "office";
  it.to_area = "it-storage";
  it.reader = "r-it-in";
  it.mode = DoorMode::kCardAndPin;
  it.lock = {"io-it", 0, FailMode::kSecure};
  it.contact = InputPoint{"io-it", 0, Polarity::kNormallyClosed};
  it.exit_button = InputPoint{"io-it", 1, Polarity::kNormallyOpen};
  it.unlock_seconds = 4;
  it.held_open_seconds = 15;
  it.cameras = {"cam-it", "cam-office"};

  s.doors = {main, office, it};
  return s;
}

}  // namespace gatehouse::test_support
