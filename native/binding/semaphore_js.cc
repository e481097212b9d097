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
  Status s = CreateSemaphore(static_cast<uint32_t>(ToU64(info[0])), &fd);
  if (!s.ok()) ThrowStatus(info.Env(), s);
  return SharedFile::Wrap(info.Env(), std::move(fd));
}

Napi::Value CheckSemaphoreJs(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  SharedFile* file = FileOf(info[0]);
  if (!file->TakeCompanions().empty()) {
    ThrowStatus(env, Status::Own("ERR_HANDLE_INVALID", "the semaphore came with other descriptors: it was not exported as one"));
  }
  Status s = CheckSemaphore(file->Fd(env));
  if (!s.ok()) ThrowStatus(env, s);
  return env.Undefined();
}

Napi::Value PostSemaphoreJs(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  Status s = PostSemaphore(FileOf(info[0])->Fd(env), ToU64(info[1]));
  if (!s.ok()) ThrowStatus(env, s);
  return env.Undefined();
}

Napi::Value TryTakeSemaphoreJs(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  bool taken = false;
  Status s = TryTakeSemaphore(FileOf(info[0])->Fd(env), &taken);
  if (!s.ok()) ThrowStatus(env, s);
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
