#include "tests/support/osdp_reader_host.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <chrono>

namespace gatehouse::test_support {

OsdpReaderHost::OsdpReaderHost(std::vector<readers::osdp::PdSettings> readers) {
  for (auto& settings : readers) {
    auto slot = std::make_unique<Slot>();
    slot->listener = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    int one = 1;
    ::setsockopt(slot->listener, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    ::bind(slot->listener, reinterpret_cast<sockaddr*>(&addr), sizeof addr);
    ::listen(slot->listener, 4);
    socklen_t len = sizeof addr;
    ::getsockname(slot->listener, reinterpret_cast<sockaddr*>(&addr), &len);
    slot->port = ntohs(addr.sin_port);
    Slot* raw = slot.get();
    slot->pd = std::make_unique<readers::osdp::PeripheralDevice>(
        settings, [raw](std::span<const std::uint8_t> b) {
          if (raw->conn >= 0) (void)!::send(raw->conn, b.data(), b.size(), MSG_NOSIGNAL);
        });
    slots_.push_back(std::move(slot));
  }
  thread_ = std::thread([this] { run(); });
}

OsdpReaderHost::~OsdpReaderHost() {
  stop_ = true;
  thread_.join();
  for (auto& s : slots_) {
    if (s->conn >= 0) ::close(s->conn);
    ::close(s->listener);
  }
}

int OsdpReaderHost::port(std::size_t reader) const { return slots_.at(reader)->port; }

void OsdpReaderHost::run() {
  std::vector<pollfd> fds;
  std::vector<std::pair<Slot*, bool>> owners;  // slot, is the listener
  while (!stop_) {
    fds.clear();
    owners.clear();
    for (auto& s : slots_) {
      fds.push_back({s->listener, POLLIN, 0});
      owners.emplace_back(s.get(), true);
      if (s->conn >= 0) {
        fds.push_back({s->conn, POLLIN, 0});
        owners.emplace_back(s.get(), false);
      }
    }
    if (::poll(fds.data(), fds.size(), 20) <= 0) continue;
    for (std::size_t i = 0; i < fds.size(); ++i) {
      if (fds[i].revents == 0) continue;
      Slot* s = owners[i].first;
      std::lock_guard lock(mutex_);
      if (owners[i].second) {
        int c = ::accept4(s->listener, nullptr, nullptr, SOCK_CLOEXEC);
        if (c < 0) continue;
        int one = 1;
        ::setsockopt(c, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
        if (s->conn >= 0) ::close(s->conn);
        s->conn = c;
        continue;
      }
      std::uint8_t buf[2048];
      ssize_t got = ::recv(s->conn, buf, sizeof buf, 0);
      if (got <= 0) {
        ::close(s->conn);
        s->conn = -1;
        continue;
      }
      auto now = std::chrono::steady_clock::now().time_since_epoch();
      s->pd->receive(std::span<const std::uint8_t>(buf, static_cast<std::size_t>(got)),
                     MonoTime{std::chrono::duration_cast<std::chrono::microseconds>(now).count()});
    }
  }
}

}  // namespace gatehouse::test_support
