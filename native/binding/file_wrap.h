// SharedFile: one open descriptor of shared memory, as a JavaScript object.
// TypeScript builds AnonMap and SharedMemory on it; the descriptor never
// appears in the public API.
#pragma once

#include <napi.h>

#include <vector>

#include "core/unique_fd.h"

namespace eshm {

class SharedFile : public Napi::ObjectWrap<SharedFile> {
 public:
  static Napi::Function DefineClass(Napi::Env env);
  // Wraps `fd` in a new SharedFile object, which owns it from then on, with
  // the descriptors that were exported with it (a frame channel's eventfds).
  static Napi::Object Wrap(Napi::Env env, UniqueFd fd, std::vector<UniqueFd> companions = {});

  explicit SharedFile(const Napi::CallbackInfo& info);

  // The descriptor, or throws ERR_CLOSED.
  int Fd(Napi::Env env) const;
  // Hands the companion descriptors over to the caller.
  std::vector<UniqueFd> TakeCompanions();

 private:
  Napi::Value GetFd(const Napi::CallbackInfo& info);
  Napi::Value Describe(const Napi::CallbackInfo& info);
  Napi::Value SealForSharing(const Napi::CallbackInfo& info);
  Napi::Value ReopenReadOnly(const Napi::CallbackInfo& info);
  Napi::Value Map(const Napi::CallbackInfo& info);
  Napi::Value Allocate(const Napi::CallbackInfo& info);
  Napi::Value InitResizable(const Napi::CallbackInfo& info);
  Napi::Value ReadResizable(const Napi::CallbackInfo& info);
  Napi::Value GrowResizable(const Napi::CallbackInfo& info);
  Napi::Value Close(const Napi::CallbackInfo& info);

  // Closed when the object is collected, if close() was never called:
  // harmless, because mappings hold the memory by themselves.
  UniqueFd fd_;
  std::vector<UniqueFd> companions_;
};

}  // namespace eshm
