// The process's one wake watcher (per Node environment): a ready set
// (core/ready_set.h) of frame channels' wake sockets, publishers' pidfds
// and semaphores' eventfds, watched by a single uv_poll handle on the
// environment's own event loop. A publisher's send to a wake socket thus
// wakes the subscriber's event loop directly, in one hop, with no thread in
// between (docs/frame-channel.md, "Waking").
//
// libuv is reached through napi_get_uv_event_loop, the Node-API door to it;
// its 1.x ABI is stable, in Node and in Electron alike.
#pragma once

#include <napi.h>

#include <cstdint>

namespace eshm {

// Adds `fd` to the watch set: when it becomes readable, `token` is passed to
// the wake handler. A wake socket (`drain`) is emptied each time; any other
// descriptor (a pidfd) is reported once and must be watched again.
void WatchFd(Napi::Env env, int fd, uint32_t token, bool drain);
void UnwatchFd(Napi::Env env, int fd);

// setWakeHandler(fn(tokens: number[])): called once by TypeScript.
Napi::Value SetWakeHandler(const Napi::CallbackInfo& info);
// setWatcherActive(active): whether the watcher keeps the event loop alive
// (while some next() or loan waits).
Napi::Value SetWatcherActive(const Napi::CallbackInfo& info);

}  // namespace eshm
