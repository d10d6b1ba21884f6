// A pseudo-terminal pair standing in for a serial line: the code under test
// opens device() by its path, as it would /dev/ttyUSB0; the test plays the
// device on master() (non-blocking). The slave stays open here too, in raw
// mode, so the line survives the code under test closing and reopening it.
// Link `util` (openpty).
#pragma once

#include <fcntl.h>
#include <gtest/gtest.h>
#include <pty.h>
#include <termios.h>
#include <unistd.h>

#include <string>

namespace gatehouse::test_support {

class RawPty {
 public:
  RawPty() {
    char name[128];
    EXPECT_EQ(openpty(&master_, &slave_, name, nullptr, nullptr), 0);
    termios raw{};
    tcgetattr(slave_, &raw);
    cfmakeraw(&raw);
    tcsetattr(slave_, TCSANOW, &raw);
    fcntl(master_, F_SETFL, fcntl(master_, F_GETFL) | O_NONBLOCK);
    device_ = name;
  }
  ~RawPty() {
    ::close(master_);
    ::close(slave_);
  }
  RawPty(const RawPty&) = delete;
  RawPty& operator=(const RawPty&) = delete;

  int master() const { return master_; }
  const std::string& device() const { return device_; }

 private:
  int master_ = -1;
  int slave_ = -1;
  std::string device_;
};

}  // namespace gatehouse::test_support
