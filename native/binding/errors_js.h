// Turning a failed core Status into a thrown ShmError.
#pragma once

#include <napi.h>

#include "core/status.h"

namespace eshm {

// Throws a ShmError (or a plain Error before TypeScript registered the
// class) with code, and syscall and errno where a system call failed.
[[noreturn]] void ThrowStatus(Napi::Env env, const Status& status);

// ThrowStatus when the core call failed.
inline void ThrowIfFailed(Napi::Env env, const Status& status) {
  if (!status.ok()) ThrowStatus(env, status);
}

// setErrorClass(ShmError): called once by TypeScript when it loads the addon.
Napi::Value SetErrorClass(const Napi::CallbackInfo& info);

}  // namespace eshm
