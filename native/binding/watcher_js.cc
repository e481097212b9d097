#include "binding/watcher_js.h"

#include <uv.h>

#include <memory>
#include <vector>

#include "binding/addon_data.h"
#include "binding/errors_js.h"
#include "core/ready_set.h"

namespace eshm {

struct Watcher {
  napi_env env = nullptr;
  ReadySet ready;
  uv_poll_t* poll = nullptr;  // freed by uv_close's callback
  bool active = false;
  Napi::FunctionReference handler;
  napi_async_cleanup_hook_handle cleanup = nullptr;
};

void WatcherDeleter::operator()(Watcher* watcher) const { delete watcher; }

namespace {

// Calls the wake handler with `tokens`. Plain Node-API calls, each checked,
// and nothing that throws: this runs from libuv, where no C++ exception may
// pass, and it may run while a worker's environment ends (from
// Environment::CleanupHandles, after its JavaScript was terminated). Then
// the calls are refused and the wake is dropped: nobody is left to receive it.
void Deliver(napi_env env, napi_ref handler_ref, const std::vector<uint32_t>& tokens) {
  napi_handle_scope scope;
  if (napi_open_handle_scope(env, &scope) != napi_ok) return;
  napi_value array, handler, global, result;
  bool ok = napi_create_array_with_length(env, tokens.size(), &array) == napi_ok;
  for (size_t i = 0; ok && i < tokens.size(); ++i) {
    napi_value token;
    ok = napi_create_uint32(env, tokens[i], &token) == napi_ok && napi_set_element(env, array, static_cast<uint32_t>(i), token) == napi_ok;
  }
  ok = ok && napi_get_reference_value(env, handler_ref, &handler) == napi_ok && handler != nullptr &&
       napi_get_global(env, &global) == napi_ok;
  // make_callback, so that promises resolved by the handler settle now.
  if (ok && napi_make_callback(env, nullptr, global, handler, 1, &array, &result) == napi_pending_exception) {
    // The handler threw: the process's uncaught exception, as for any
    // callback. (While the environment ends, this too is refused.)
    napi_value error;
    if (napi_get_and_clear_last_exception(env, &error) == napi_ok) napi_fatal_exception(env, error);
  }
  napi_close_handle_scope(env, scope);
}

void OnReadable(uv_poll_t* handle, int status, int /*events*/) {
  auto* w = static_cast<Watcher*>(handle->data);
  std::vector<uint32_t> tokens = w->ready.TakeReady();
  if (status < 0 || tokens.empty() || w->handler.IsEmpty()) return;
  Deliver(w->env, static_cast<napi_ref>(w->handler), tokens);
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
  w->ready.Close();
}

Watcher& GetWatcher(Napi::Env env) {
  AddonData& data = Data(env);
  if (data.watcher != nullptr) return *data.watcher;
  std::unique_ptr<Watcher, WatcherDeleter> w(new Watcher);
  w->env = env;
  ThrowIfFailed(env, w->ready.Open());
  uv_loop_t* loop = nullptr;
  if (napi_get_uv_event_loop(env, &loop) != napi_ok) {
    ThrowStatus(env, Status::Own("ENOTSUP", "No event loop to watch frame channels on"));
  }
  w->poll = new uv_poll_t;
  uv_poll_init(loop, w->poll, w->ready.fd());
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
  if (!w.ready.is_open()) ThrowStatus(env, Status::Own("ERR_CLOSED", "The environment is shutting down"));
  ThrowIfFailed(env, w.ready.Add(fd, token, drain ? ReadyMode::kDrain : ReadyMode::kOnce));
}

void UnwatchFd(Napi::Env env, int fd) {
  Watcher* w = Data(env).watcher.get();
  if (w != nullptr) w->ready.Remove(fd);
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
