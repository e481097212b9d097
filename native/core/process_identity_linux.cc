#include "core/process_identity.h"

#include <fcntl.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <atomic>
#include <cstdio>
#include <cstdlib>
#include <cstring>

namespace eshm {
namespace {

// Reads state and start time from /proc/<pid>/stat. The command name (field
// 2) may hold spaces and parentheses, so fields are counted after its last ')'.
bool ReadStat(pid_t pid, char* state, uint64_t* start_ticks) {
  char path[32];
  std::snprintf(path, sizeof path, "/proc/%d/stat", static_cast<int>(pid));
  UniqueFd fd(open(path, O_RDONLY | O_CLOEXEC));
  if (!fd.valid()) return false;
  char buf[1024];
  ssize_t n = read(fd.get(), buf, sizeof buf - 1);
  if (n <= 0) return false;
  buf[n] = '\0';
  const char* p = std::strrchr(buf, ')');
  if (p == nullptr || p[1] != ' ') return false;
  *state = p[2];
  // After ')': state is field 3, starttime is field 22.
  for (int field = 3; field < 22; ++field) {
    p = std::strchr(p + 1, ' ');
    if (p == nullptr) return false;
  }
  *start_ticks = std::strtoull(p + 1, nullptr, 10);
  return true;
}

ProcessIdentity Pack(pid_t pid, uint64_t start_ticks) {
  return (start_ticks << 22) | static_cast<uint64_t>(pid);
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
  char state = 0;
  uint64_t start = 0;
  if (pid <= 0 || !ReadStat(pid, &state, &start)) return 0;
  if (state == 'Z' || state == 'X' || state == 'x') return 0;
  return Pack(pid, start);
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

}  // namespace eshm
