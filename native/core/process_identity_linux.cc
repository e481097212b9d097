#include "core/process_identity.h"

#include <fcntl.h>
#include <poll.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>

namespace eshm {
namespace {

ProcessIdentity Pack(pid_t pid, uint64_t start_ticks) {
  return (start_ticks << 22) | static_cast<uint64_t>(pid);
}

// What /proc/<pid>/stat says of a process.
enum class Stat { kRead, kGone, kUnknown };

// Reads state and start time from /proc/<pid>/stat. kGone only when the
// kernel says there is no such process; kUnknown when this process could
// not look (no descriptor free, no memory): a caller must not take that for
// a death, or a live process's endpoints would be given away. The command
// name (field 2) may hold spaces and parentheses, so fields are counted
// after its last ')'.
Stat ReadStat(pid_t pid, char* state, uint64_t* start_ticks) {
  char path[32];
  std::snprintf(path, sizeof path, "/proc/%d/stat", static_cast<int>(pid));
  UniqueFd fd(open(path, O_RDONLY | O_CLOEXEC));
  if (!fd.valid()) return errno == ENOENT || errno == ESRCH ? Stat::kGone : Stat::kUnknown;
  char buf[1024];
  ssize_t n = read(fd.get(), buf, sizeof buf - 1);
  if (n == 0 || (n < 0 && errno == ESRCH)) return Stat::kGone;  // it exited after the open
  if (n < 0) return Stat::kUnknown;
  buf[n] = '\0';
  const char* p = std::strrchr(buf, ')');
  if (p == nullptr || p[1] != ' ') return Stat::kUnknown;
  *state = p[2];
  // After ')': state is field 3, starttime is field 22.
  for (int field = 3; field < 22; ++field) {
    p = std::strchr(p + 1, ' ');
    if (p == nullptr) return Stat::kUnknown;
  }
  *start_ticks = std::strtoull(p + 1, nullptr, 10);
  return Stat::kRead;
}

// The identity of `pid` (0 if it has exited), or kUnknown.
Stat ReadIdentity(pid_t pid, ProcessIdentity* out) {
  char state = 0;
  uint64_t start = 0;
  *out = 0;
  if (pid <= 0) return Stat::kGone;
  Stat read = ReadStat(pid, &state, &start);
  if (read != Stat::kRead) return read;
  if (state == 'Z' || state == 'X' || state == 'x') return Stat::kGone;
  *out = Pack(pid, start);
  return Stat::kRead;
}

}  // namespace

ProcessIdentity SelfIdentity() {
  // Computed again in a forked child, whose pid differs.
  static std::atomic<ProcessIdentity> self{0};
  ProcessIdentity known = self.load(std::memory_order_relaxed);
  if (PidOf(known) == getpid()) return known;
  known = IdentityOf(getpid());
  self.store(known, std::memory_order_relaxed);
  return known;
}

ProcessIdentity IdentityOf(pid_t pid) {
  ProcessIdentity identity = 0;
  ReadIdentity(pid, &identity);
  return identity;
}

bool IsAlive(ProcessIdentity identity) {
  if (identity == 0) return false;
  ProcessIdentity now = 0;
  // A process it could not look at is taken for alive: being wrong costs a
  // slot held a while longer, never a live process's endpoint given away.
  return ReadIdentity(PidOf(identity), &now) == Stat::kUnknown || now == identity;
}

Status OpenPidfd(ProcessIdentity identity, UniqueFd* out) {
  UniqueFd fd(static_cast<int>(syscall(SYS_pidfd_open, PidOf(identity), 0)));
  if (!fd.valid()) return Status::Sys("pidfd_open");
  // Checked after opening (pidfds are close-on-exec): if the process we
  // meant still runs now, the pidfd, opened earlier, is of that process;
  // if the pid had passed to a later process, the start time differs.
  if (!IsAlive(identity)) return Status::Sys("pidfd_open", ESRCH);
  *out = std::move(fd);
  return Status::Ok();
}

bool HasExited(int pidfd) {
  pollfd p{pidfd, POLLIN, 0};
  return poll(&p, 1, 0) > 0;
}

}  // namespace eshm
