// System V segments (core/sysv_shm.h) for JavaScript: keys, open, status,
// remove, lock, and zero-copy attachments as Mapping objects.
#pragma once

#include <napi.h>

namespace eshm {

Napi::Value SysvKey(const Napi::CallbackInfo& info);
Napi::Value SysvOpen(const Napi::CallbackInfo& info);
Napi::Value SysvStatJs(const Napi::CallbackInfo& info);
Napi::Value SysvRemoveJs(const Napi::CallbackInfo& info);
Napi::Value SysvSetLockedJs(const Napi::CallbackInfo& info);
Napi::Value SysvAttach(const Napi::CallbackInfo& info);

}  // namespace eshm
