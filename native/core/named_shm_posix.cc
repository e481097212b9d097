#include "core/named_shm.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include "core/libc_floor.h"
#include "core/shared_file.h"

namespace eshm {
namespace {

int AccessFlags(const NamedOpenOptions& options) {
  return (options.read_only ? O_RDONLY : O_RDWR) | O_CLOEXEC;
}

// Gives a segment this process just created its exact mode, its size and
// its pages: a /dev/shm too small for it is ENOSPC now, not a SIGBUS at the
// first write.
Status Initialize(int fd, uint64_t size, unsigned mode) {
  // ShmOpen (like shm_open) applied the umask to the mode; the caller asked for this one.
  if (fchmod(fd, mode) != 0) return Status::Sys("fchmod");
  if (ftruncate(fd, static_cast<off_t>(size)) != 0) return Status::Sys("ftruncate");
  return Reserve(fd);
}

Status CheckSize(int fd, uint64_t size, const std::string& name) {
  struct stat st;
  if (FileStatus(fd, &st) != 0) return Status::Sys("fstat");
  if (static_cast<uint64_t>(st.st_size) != size) {
    return Status::Own("ERR_SIZE_MISMATCH",
                       "Shared memory " + name + " exists with " + std::to_string(st.st_size) +
                           " bytes, not the " + std::to_string(size) + " asked for");
  }
  return Status::Ok();
}

}  // namespace

Status OpenNamed(const std::string& name, uint64_t size, const NamedOpenOptions& options,
                 NamedSegment* out) {
  if (options.create) {
    // Try to create first, so that we know whether this call created it and
    // so owns its initialization (and its removal if that fails).
    UniqueFd fd(ShmOpen(name, AccessFlags(options) | O_CREAT | O_EXCL, options.mode));
    if (fd.valid()) {
      Status s = options.read_only ? Status::Sys("ftruncate", EINVAL, "A segment being created cannot be read-only")
                                   : Initialize(fd.get(), size, options.mode);
      if (!s.ok()) {
        ShmUnlink(name);
        return s;
      }
      out->fd = std::move(fd);
      out->size = size;
      out->created = true;
      return Status::Ok();
    }
    if (errno != EEXIST || options.exclusive) return Status::Sys("shm_open", errno, name);
  }
  UniqueFd fd(ShmOpen(name, AccessFlags(options), 0));
  if (!fd.valid()) return Status::Sys("shm_open", errno, name);
  Status s = CheckSize(fd.get(), size, name);
  // Another program may have made it with ftruncate alone: its missing pages
  // are reserved now, so that a full /dev/shm is ENOSPC here rather than a
  // SIGBUS at whichever first touch finds no room.
  if (s.ok()) s = Reserve(fd.get());
  if (!s.ok()) return s;
  out->fd = std::move(fd);
  out->size = size;
  out->created = false;
  return Status::Ok();
}

Status UnlinkNamed(const std::string& name) {
  if (ShmUnlink(name) != 0) return Status::Sys("shm_unlink", errno, name);
  return Status::Ok();
}

}  // namespace eshm
