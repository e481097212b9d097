#include "core/ready_set.h"

#include <sys/epoll.h>

#include "core/wake_socket.h"

namespace eshm {
namespace {

// Events taken per TakeReady: members beyond it stay ready, so the set's
// descriptor stays readable and the next call takes them.
constexpr int kMaxEvents = 64;

}  // namespace

Status ReadySet::Open() {
  epoll_.reset(epoll_create1(EPOLL_CLOEXEC));
  if (!epoll_.valid()) return Status::Sys("epoll_create1");
  return Status::Ok();
}

Status ReadySet::Add(int fd, uint32_t token, ReadyMode mode) {
  epoll_event event{};
  event.events = EPOLLIN | (mode == ReadyMode::kOnce ? static_cast<uint32_t>(EPOLLONESHOT) : 0u);
  event.data.fd = fd;
  // A oneshot member stays in the epoll set once reported, only disarmed:
  // it is armed again by a modification, not a second add.
  const bool known = members_.count(fd) > 0;
  if (epoll_ctl(epoll_.get(), known ? EPOLL_CTL_MOD : EPOLL_CTL_ADD, fd, &event) != 0) return Status::Sys("epoll_ctl");
  members_[fd] = Member{token, mode};
  return Status::Ok();
}

void ReadySet::Remove(int fd) {
  if (members_.erase(fd) == 0) return;
  epoll_ctl(epoll_.get(), EPOLL_CTL_DEL, fd, nullptr);
}

std::vector<uint32_t> ReadySet::TakeReady() {
  std::vector<uint32_t> tokens;
  if (!epoll_.valid()) return tokens;
  epoll_event events[kMaxEvents];
  const int n = epoll_wait(epoll_.get(), events, kMaxEvents, 0);
  for (int i = 0; i < n; ++i) {
    const int fd = events[i].data.fd;
    auto it = members_.find(fd);
    if (it == members_.end()) continue;
    if (it->second.mode == ReadyMode::kDrain) DrainWakes(fd);
    tokens.push_back(it->second.token);
  }
  return tokens;
}

void ReadySet::Close() {
  epoll_.reset();
  members_.clear();
}

}  // namespace eshm
