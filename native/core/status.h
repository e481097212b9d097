// The outcome of a core call: success, a failed system call with its errno,
// or one of the project's own failure kinds (a stable code such as
// "ERR_HANDLE_REVOKED"). The core never throws; the binding turns a failed
// Status into a ShmError.
#pragma once

#include <cerrno>
#include <string>

namespace eshm {

struct Status {
  int err = 0;                  // errno of the failed call, 0 if none
  const char* syscall = "";     // name of the failed system call, "" if none
  const char* code = "";        // project code, "" when the errno name is the code
  std::string detail;           // a sentence beginning with a capital letter, or a name (a path)
  const char* limit = "";       // the system limit that refused it ("vm.max_map_count"), "" if none

  bool ok() const { return err == 0 && *code == '\0'; }

  static Status Ok() { return Status{}; }
  // A system call failed; err defaults to the current errno.
  static Status Sys(const char* syscall, int err = errno, std::string detail = "");
  // A failure of the project's own kind, with a stable code.
  static Status Own(const char* code, std::string detail);

  // The stable code: the project code if set, else the errno's name ("ENOENT").
  std::string CodeName() const;
  // A sentence describing the failure: the detail, or for a failed system
  // call "The system call mmap failed: Permission denied (EACCES)", then
  // ": " and the detail if there is one.
  std::string Message() const;
};

// "ENOENT" for ENOENT; "E<number>" for an errno it does not know (errno_names.cc).
std::string ErrnoName(int err);

}  // namespace eshm
