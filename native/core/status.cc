#include "core/status.h"

#include <cstring>
#include <utility>

namespace eshm {

Status Status::Sys(const char* syscall, int err, std::string detail) {
  Status s;
  s.err = err;
  s.syscall = syscall;
  s.detail = std::move(detail);
  return s;
}

Status Status::Own(const char* code, std::string detail) {
  Status s;
  s.code = code;
  s.detail = std::move(detail);
  return s;
}

std::string Status::CodeName() const {
  if (*code != '\0') return code;
  return ErrnoName(err);
}

std::string Status::Message() const {
  std::string message;
  if (*syscall != '\0') {
    message = "The system call " + std::string(syscall) + " failed: " + std::strerror(err) + " (" + ErrnoName(err) + ")";
    if (!detail.empty()) message += ": " + detail;
  } else {
    message = detail;
  }
  return message;
}

}  // namespace eshm
