// Named shared memory (POSIX shm_open), NSPR's PR_OpenSharedMemory family.
// POSIX implementation in named_shm_posix.cc.
#pragma once

#include <cstdint>
#include <string>

#include "core/status.h"
#include "core/unique_fd.h"

namespace eshm {

struct NamedOpenOptions {
  bool create = false;     // create it when missing
  bool exclusive = false;  // with create: fail with EEXIST when it exists
  unsigned mode = 0600;    // permissions of a created segment, umask not applied
  bool read_only = false;  // open the descriptor O_RDONLY
};

struct NamedSegment {
  UniqueFd fd;
  uint64_t size = 0;
  bool created = false;  // this call created the segment
};

// Opens the segment `name` ("/" followed by at most 254 other characters, no
// further "/"), creating it with `size` bytes when allowed and missing. An
// existing segment of another size is ERR_SIZE_MISMATCH: it is neither
// truncated nor grown. Every page of the segment is reserved (Reserve in
// shared_file.h), whoever made it: a /dev/shm without room for it is ENOSPC,
// never a SIGBUS at a later first touch. A segment this call created is
// removed again if a later step fails.
Status OpenNamed(const std::string& name, uint64_t size, const NamedOpenOptions& options,
                 NamedSegment* out);

// Removes the name; the memory lives on until the last mapping and
// descriptor are gone (NSPR's PR_DeleteSharedMemory).
Status UnlinkNamed(const std::string& name);

}  // namespace eshm
