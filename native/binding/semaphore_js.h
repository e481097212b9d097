// The semaphore of core/semaphore.h, for TypeScript's Semaphore: its
// descriptor is a SharedFile (so it is exported, fetched, closed and
// collected as memory is), and these functions act on it.
#pragma once

#include <napi.h>

namespace eshm {

// createSemaphore(initial) -> SharedFile
Napi::Value CreateSemaphoreJs(const Napi::CallbackInfo& info);
// checkSemaphore(file): what an importer received is a semaphore, alone.
Napi::Value CheckSemaphoreJs(const Napi::CallbackInfo& info);
// postSemaphore(file, count)
Napi::Value PostSemaphoreJs(const Napi::CallbackInfo& info);
// tryTakeSemaphore(file) -> whether one was taken
Napi::Value TryTakeSemaphoreJs(const Napi::CallbackInfo& info);
// watchSemaphore(file, token): the wake watcher reports `token` once when
// the count is above zero (at once if it is now); again only after another
// watchSemaphore. unwatchSemaphore(file) stops it.
Napi::Value WatchSemaphoreJs(const Napi::CallbackInfo& info);
Napi::Value UnwatchSemaphoreJs(const Napi::CallbackInfo& info);

}  // namespace eshm
