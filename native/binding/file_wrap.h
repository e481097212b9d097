// SharedFile: one open descriptor of shared memory, as a JavaScript object.
// TypeScript builds AnonMap and SharedMemory on it; the descriptor never
// appears in the public API.
#pragma once

#include <napi.h>

#include "core/unique_fd.h"

namespace eshm {

class SharedFile : public Napi::ObjectWrap<SharedFile> {
 public:
  static Napi::Function DefineClass(Napi::Env env);
  // Wraps `fd` in a new SharedFile object, which owns it from then on.
  static Napi::Object Wrap(Napi::Env env, UniqueFd fd);

  explicit SharedFile(const Napi::CallbackInfo& info);

  // The descriptor, or throws ERR_CLOSED.
  int Fd(Napi::Env env) const;

 private:
  Napi::Value GetFd(const Napi::CallbackInfo& info);
  Napi::Value Describe(const Napi::CallbackInfo& info);
  Napi::Value SealFutureWrites(const Napi::CallbackInfo& info);
  Napi::Value ReopenReadOnly(const Napi::CallbackInfo& info);
  Napi::Value Map(const Napi::CallbackInfo& info);
  Napi::Value Close(const Napi::CallbackInfo& info);

  // Closed when the object is collected, if close() was never called:
  // harmless, because mappings hold the memory by themselves.
  UniqueFd fd_;
};

}  // namespace eshm
