// Files that hold shared memory: creating anonymous ones, sealing them
// read-only, and describing any of them. Linux implementation in
// shared_file_linux.cc.
#pragma once

#include <cstdint>
#include <string>

#include "core/status.h"
#include "core/unique_fd.h"

namespace eshm {

// Creates `size` bytes of shared memory that no other process can open by
// name (NSPR's PR_OpenAnonFileMap). Uses memfd_create when `allow_memfd` and
// the kernel agree; otherwise creates a file in `dir` exclusively with mode
// 0600 and unlinks it before returning, so its name exists only for that
// moment. On success *out owns the descriptor (close-on-exec); on error
// nothing is left behind, not even the file name.
Status CreateAnonymousFile(uint64_t size, const std::string& dir, bool allow_memfd,
                           UniqueFd* out);

// Forbids every new writable mapping and write() of this memory, through any
// descriptor, for good (F_SEAL_FUTURE_WRITE); mappings that are writable now
// stay writable. Only memfd memory can be sealed: ENOTSUP otherwise.
Status SealFutureWrites(int fd);

// Allocates every page of the memory now (fallocate), so that a shortage is
// ENOSPC / ENOMEM here, not a SIGBUS at a later first touch.
Status Preallocate(int fd);

// Opens a second, read-only descriptor of the same memory.
Status ReopenReadOnly(int fd, UniqueFd* out);

struct FileInfo {
  uint64_t size = 0;
  bool read_only = false;     // the descriptor was opened O_RDONLY
  bool write_sealed = false;  // F_SEAL_FUTURE_WRITE or F_SEAL_WRITE is set
  bool sealable = false;      // memfd memory that accepts seals
};

// Describes an open descriptor of shared memory; EBADF if it is not open,
// EINVAL if it is not a regular file (or memfd).
Status DescribeFile(int fd, FileInfo* out);

// Adopts an inherited descriptor: checks it is open and marks it
// close-on-exec so it does not leak further into grandchildren.
Status AdoptInheritedFd(int fd);

}  // namespace eshm
