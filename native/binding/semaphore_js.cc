#include "binding/semaphore_js.h"

#include "binding/convert.h"
#include "binding/errors_js.h"
#include "binding/file_wrap.h"
#include "binding/watcher_js.h"
#include "core/semaphore.h"

namespace eshm {
namespace {

SharedFile* FileOf(const Napi::Value& value) { return Napi::ObjectWrap<SharedFile>::Unwrap(value.As<Napi::Object>()); }

}  // namespace

Napi::Value CreateSemaphoreJs(const Napi::CallbackInfo& info) {
  UniqueFd fd;
  ThrowIfFailed(info.Env(), CreateSemaphore(static_cast<uint32_t>(ToU64(info[0])), &fd));
  return SharedFile::Wrap(info.Env(), std::move(fd));
}

Napi::Value CheckSemaphoreJs(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  SharedFile* file = FileOf(info[0]);
  if (!file->TakeCompanions().empty()) {
    ThrowStatus(env, Status::Own("ERR_HANDLE_INVALID", "The semaphore came with other descriptors: it was not exported as one"));
  }
  ThrowIfFailed(env, CheckSemaphore(file->Fd(env)));
  return env.Undefined();
}

Napi::Value PostSemaphoreJs(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  ThrowIfFailed(env, PostSemaphore(FileOf(info[0])->Fd(env), ToU64(info[1])));
  return env.Undefined();
}

Napi::Value TryTakeSemaphoreJs(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  bool taken = false;
  ThrowIfFailed(env, TryTakeSemaphore(FileOf(info[0])->Fd(env), &taken));
  return Napi::Boolean::New(env, taken);
}

Napi::Value WatchSemaphoreJs(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  WatchFd(env, FileOf(info[0])->Fd(env), static_cast<uint32_t>(ToU64(info[1])), false);
  return env.Undefined();
}

Napi::Value UnwatchSemaphoreJs(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  UnwatchFd(env, FileOf(info[0])->Fd(env));
  return env.Undefined();
}

}  // namespace eshm
