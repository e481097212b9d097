#include "core/resizable.h"

#include <fcntl.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <string>

#include "core/libc_floor.h"
#include "core/mapping.h"
#include "core/shared_file.h"

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
      status_ = Status::Sys("open", errno, "Cannot open " + path + " to lock the map's header");
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

Status Corrupt(const std::string& detail) {
  return Status::Own("ERR_MAP_CORRUPT", "Another process wrote a header this module never writes: " + detail);
}

// Reads the header and checks it against the file and, unless it is 0,
// against the span this process read when it opened the map. Nothing the
// header says is trusted: another process of the map may have written it.
Status ReadHeader(int fd, uint64_t expected_span, Header* header) {
  ssize_t got = pread(fd, header, sizeof *header, 0);
  if (got < 0) return Status::Sys("pread");
  if (got != static_cast<ssize_t>(sizeof *header) || header->magic != kMagic) {
    if (expected_span != 0) return Corrupt("its magic number is gone");
    return Status::Own("ERR_NOT_RESIZABLE", "The memory is not a resizable map (no header)");
  }
  if (expected_span != 0 && header->span != expected_span) {
    return Corrupt("a span of " + std::to_string(header->span) + " bytes, not " + std::to_string(expected_span));
  }
  if (header->size == 0 || header->size > header->span) {
    return Corrupt("a size of " + std::to_string(header->size) + " bytes in a span of " + std::to_string(header->span));
  }
  // Files only grow (a memfd is sealed against shrinking, and importers
  // refuse memory that is not), and growers grow the file before the
  // header: an honest header never says more than the file holds.
  struct stat st;
  if (FileStatus(fd, &st) != 0) return Status::Sys("fstat");
  const uint64_t file_size = static_cast<uint64_t>(st.st_size);
  if (file_size < ResizableDataOffset() || header->size > file_size - ResizableDataOffset()) {
    return Corrupt("a size of " + std::to_string(header->size) + " bytes in a file of " + std::to_string(file_size));
  }
  return Status::Ok();
}

Status WriteHeader(int fd, const Header& header) {
  ssize_t put = pwrite(fd, &header, sizeof header, 0);
  if (put < 0) return Status::Sys("pwrite");
  if (put != static_cast<ssize_t>(sizeof header)) return Status::Sys("pwrite", EIO);
  return Status::Ok();
}

// Makes the file hold `size` bytes of data. The file only ever grows: a
// shrink would turn the reads of every process mapping the lost pages into
// SIGBUS (a memfd is sealed against it, F_SEAL_SHRINK), and a peer may
// have grown the file further already. A file of a file system (the
// fallback without memfd) gets its new pages reserved, and its old size
// back when they do not fit, so that a full /dev/shm is ENOSPC here.
Status Grow(int fd, uint64_t size) {
  struct stat st;
  if (FileStatus(fd, &st) != 0) return Status::Sys("fstat");
  const off_t wanted = static_cast<off_t>(ResizableDataOffset() + size);
  const bool extending = st.st_size < wanted;
  if (extending && ftruncate(fd, wanted) != 0) return Status::Sys("ftruncate");
  FileInfo info;
  Status s = DescribeFile(fd, &info);
  if (!s.ok() || info.memfd) return s;
  // Even when a peer made the file long enough already (with ftruncate,
  // which reserves nothing), its pages up to the new size need reserving.
  s = ReserveFirst(fd, static_cast<uint64_t>(wanted));
  if (!s.ok() && extending) {
    // No process maps past the header's size, which is not written yet. The
    // error to report is the reservation's, whatever this one does.
    const int undone = ftruncate(fd, st.st_size);
    (void)undone;
  }
  return s;
}

}  // namespace

uint64_t ResizableDataOffset() { return PageSize(); }

Status InitResizable(int fd, uint64_t size, uint64_t span) {
  FileLock lock(fd, LOCK_EX);
  if (!lock.status().ok()) return lock.status();
  Status s = Grow(fd, size);
  if (!s.ok()) return s;
  return WriteHeader(fd, Header{kMagic, size, span});
}

Status ReadResizable(int fd, uint64_t expected_span, uint64_t* size, uint64_t* span) {
  FileLock lock(fd, LOCK_SH);
  if (!lock.status().ok()) return lock.status();
  Header header;
  Status s = ReadHeader(fd, expected_span, &header);
  if (!s.ok()) return s;
  *size = header.size;
  *span = header.span;
  return Status::Ok();
}

Status GrowResizable(int fd, uint64_t wanted, uint64_t span, uint64_t* now) {
  FileLock lock(fd, LOCK_EX);
  if (!lock.status().ok()) return lock.status();
  Header header;
  Status s = ReadHeader(fd, span, &header);
  if (!s.ok()) return s;
  if (wanted > header.span) {
    return Status::Own("ERR_SPAN_EXCEEDED", std::to_string(wanted) + " bytes pass the span of " +
                                                std::to_string(header.span) + " bytes reserved when the map was made");
  }
  if (wanted > header.size) {
    // The file first, then the header: a process that reads the new size
    // finds the pages there.
    s = Grow(fd, wanted);
    if (!s.ok()) return s;
    header.size = wanted;
    s = WriteHeader(fd, header);
    if (!s.ok()) return s;
  }
  *now = header.size;
  return Status::Ok();
}

}  // namespace eshm
