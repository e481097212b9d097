#include "binding/watcher_js.h"

#include <sys/epoll.h>
#include <unistd.h>
#include <uv.h>

#include <map>
#include <memory>
#include <vector>

#include "binding/addon_data.h"
#include "binding/errors_js.h"
#include "core/unique_fd.h"

namespace eshm {

struct Watcher {
  struct Entry {
    uint32_t token;
    bool drain;
  };

  napi_env env = nullptr;
  UniqueFd epoll;
  uv_poll_t* poll = nullptr;  // freed by uv_close's callback
  bool active = false;
  std::map<int, Entry> entries;
  Napi::FunctionReference handler;
  napi_async_cleanup_hook_handle cleanup = nullptr;
};

void WatcherDeleter::operator()(Watcher* watcher) const { delete watcher; }

namespace {

void OnReadable(uv_poll_t* handle, int status, int /*events*/) {
  auto* w = static_cast<Watcher*>(handle->data);
  epoll_event events[64];
  int n = epoll_wait(w->epoll.get(), events, 64, 0);
  if (status < 0 || n <= 0 || w->handler.IsEmpty()) return;
  Napi::Env env(w->env);
  Napi::HandleScope scope(env);
  Napi::Array tokens = Napi::Array::New(env);
  uint32_t count = 0;
  for (int i = 0; i < n; ++i) {
    int fd = events[i].data.fd;
    auto it = w->entries.find(fd);
    if (it == w->entries.end()) continue;
    if (it->second.drain) {
      uint64_t value;
      ssize_t ignored = read(fd, &value, sizeof value);
      (void)ignored;  // EAGAIN: another wake emptied it first
    }
    tokens.Set(count++, Napi::Number::New(env, it->second.token));
  }
  if (count == 0) return;
  try {
    // MakeCallback, so that promises resolved by the handler settle now.
    w->handler.MakeCallback(env.Global(), {tokens});
  } catch (const Napi::Error& error) {
    napi_fatal_exception(env, error.Value());
  }
}

void CloseWatcher(napi_async_cleanup_hook_handle handle, void* arg) {
  auto* w = static_cast<Watcher*>(arg);
  w->handler.Reset();
  uv_poll_stop(w->poll);
  w->poll->data = handle;
  uv_close(reinterpret_cast<uv_handle_t*>(w->poll), [](uv_handle_t* closed) {
    auto* hook = static_cast<napi_async_cleanup_hook_handle>(closed->data);
    delete reinterpret_cast<uv_poll_t*>(closed);
    napi_remove_async_cleanup_hook(hook);
  });
  w->poll = nullptr;
  w->epoll.reset();
  w->entries.clear();
}

Watcher& GetWatcher(Napi::Env env) {
  AddonData& data = Data(env);
  if (data.watcher != nullptr) return *data.watcher;
  std::unique_ptr<Watcher, WatcherDeleter> w(new Watcher);
  w->env = env;
  w->epoll.reset(epoll_create1(EPOLL_CLOEXEC));
  if (!w->epoll.valid()) ThrowStatus(env, Status::Sys("epoll_create1"));
  uv_loop_t* loop = nullptr;
  if (napi_get_uv_event_loop(env, &loop) != napi_ok) {
    ThrowStatus(env, Status::Own("ENOTSUP", "no event loop to watch frame channels on"));
  }
  w->poll = new uv_poll_t;
  uv_poll_init(loop, w->poll, w->epoll.get());
  w->poll->data = w.get();
  uv_poll_start(w->poll, UV_READABLE, OnReadable);
  // It keeps the loop alive only while something waits (SetWatcherActive).
  uv_unref(reinterpret_cast<uv_handle_t*>(w->poll));
  napi_add_async_cleanup_hook(env, CloseWatcher, w.get(), &w->cleanup);
  data.watcher = std::move(w);
  return *data.watcher;
}

}  // namespace

void WatchFd(Napi::Env env, int fd, uint32_t token, bool drain) {
  Watcher& w = GetWatcher(env);
  if (!w.epoll.valid()) ThrowStatus(env, Status::Own("ERR_CLOSED", "the environment is shutting down"));
  epoll_event event{};
  event.events = EPOLLIN | (drain ? 0u : static_cast<uint32_t>(EPOLLONESHOT));
  event.data.fd = fd;
  bool known = w.entries.count(fd) > 0;
  if (epoll_ctl(w.epoll.get(), known ? EPOLL_CTL_MOD : EPOLL_CTL_ADD, fd, &event) != 0) {
    ThrowStatus(env, Status::Sys("epoll_ctl"));
  }
  w.entries[fd] = Watcher::Entry{token, drain};
}

void UnwatchFd(Napi::Env env, int fd) {
  Watcher* w = Data(env).watcher.get();
  if (w == nullptr || !w->epoll.valid() || w->entries.erase(fd) == 0) return;
  epoll_ctl(w->epoll.get(), EPOLL_CTL_DEL, fd, nullptr);
}

Napi::Value SetWakeHandler(const Napi::CallbackInfo& info) {
  GetWatcher(info.Env()).handler = Napi::Persistent(info[0].As<Napi::Function>());
  return info.Env().Undefined();
}

Napi::Value SetWatcherActive(const Napi::CallbackInfo& info) {
  Watcher& w = GetWatcher(info.Env());
  bool active = info[0].As<Napi::Boolean>().Value();
  if (w.poll != nullptr && active != w.active) {
    if (active) {
      uv_ref(reinterpret_cast<uv_handle_t*>(w.poll));
    } else {
      uv_unref(reinterpret_cast<uv_handle_t*>(w.poll));
    }
  }
  w.active = active;
  return info.Env().Undefined();
}

}  // namespace eshm
