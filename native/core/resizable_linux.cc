#include "core/resizable.h"

#include <fcntl.h>
#include <sys/file.h>
#include <unistd.h>

#include <string>

#include "core/mapping.h"

namespace eshm {
namespace {

// "ESHMRSZ1", little-endian.
constexpr uint64_t kMagic = 0x315a53524d485345ull;

struct Header {
  uint64_t magic;
  uint64_t size;
  uint64_t span;
};

// flock for as long as it lives. Growers take it exclusively, readers
// shared: a reader never sees a header half written.
//
// The lock is taken on a descriptor of its own, opened anew through
// /proc/self/fd: flock belongs to an open file description, and every
// process of a map shares one (a descriptor received by SCM_RIGHTS or
// inherited at fork is the same description), so a lock on `fd` itself
// would exclude nobody.
class FileLock {
 public:
  FileLock(int fd, int operation) {
    const std::string path = "/proc/self/fd/" + std::to_string(fd);
    lock_fd_ = open(path.c_str(), O_RDONLY | O_CLOEXEC);
    if (lock_fd_ < 0) {
      status_ = Status::Sys("open", errno, "cannot open " + path + " to lock the map's header");
      return;
    }
    int locked;
    while ((locked = flock(lock_fd_, operation)) != 0 && errno == EINTR) {
    }
    if (locked != 0) status_ = Status::Sys("flock");
  }
  ~FileLock() {
    if (lock_fd_ >= 0) close(lock_fd_);  // closing releases the lock
  }
  const Status& status() const { return status_; }

 private:
  int lock_fd_ = -1;
  Status status_;
};

Status ReadHeader(int fd, Header* header) {
  ssize_t got = pread(fd, header, sizeof *header, 0);
  if (got < 0) return Status::Sys("pread");
  if (got != static_cast<ssize_t>(sizeof *header) || header->magic != kMagic) {
    return Status::Own("ERR_NOT_RESIZABLE", "the memory is not a resizable map (no header)");
  }
  return Status::Ok();
}

Status WriteHeader(int fd, const Header& header) {
  ssize_t put = pwrite(fd, &header, sizeof header, 0);
  if (put < 0) return Status::Sys("pwrite");
  if (put != static_cast<ssize_t>(sizeof header)) return Status::Sys("pwrite", EIO);
  return Status::Ok();
}

Status Resize(int fd, uint64_t size) {
  if (ftruncate(fd, static_cast<off_t>(ResizableDataOffset() + size)) != 0) return Status::Sys("ftruncate");
  return Status::Ok();
}

}  // namespace

uint64_t ResizableDataOffset() { return PageSize(); }

Status InitResizable(int fd, uint64_t size, uint64_t span) {
  FileLock lock(fd, LOCK_EX);
  if (!lock.status().ok()) return lock.status();
  Status s = Resize(fd, size);
  if (!s.ok()) return s;
  return WriteHeader(fd, Header{kMagic, size, span});
}

Status ReadResizable(int fd, uint64_t* size, uint64_t* span) {
  FileLock lock(fd, LOCK_SH);
  if (!lock.status().ok()) return lock.status();
  Header header;
  Status s = ReadHeader(fd, &header);
  if (!s.ok()) return s;
  *size = header.size;
  *span = header.span;
  return Status::Ok();
}

Status GrowResizable(int fd, uint64_t wanted, uint64_t* now) {
  FileLock lock(fd, LOCK_EX);
  if (!lock.status().ok()) return lock.status();
  Header header;
  Status s = ReadHeader(fd, &header);
  if (!s.ok()) return s;
  if (wanted > header.span) {
    return Status::Own("ERR_SPAN_EXCEEDED", std::to_string(wanted) + " bytes pass the span of " +
                                                std::to_string(header.span) + " bytes reserved when the map was made");
  }
  if (wanted > header.size) {
    // The file first, then the header: a process that reads the new size
    // finds the pages there.
    s = Resize(fd, wanted);
    if (!s.ok()) return s;
    header.size = wanted;
    s = WriteHeader(fd, header);
    if (!s.ok()) return s;
  }
  *now = header.size;
  return Status::Ok();
}

}  // namespace eshm
