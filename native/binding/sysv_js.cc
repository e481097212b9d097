#include "binding/sysv_js.h"

#include "binding/convert.h"
#include "binding/errors_js.h"
#include "binding/mapping_js.h"
#include "core/sysv_shm.h"

namespace eshm {
namespace {

int ToId(const Napi::Value& v) { return v.As<Napi::Number>().Int32Value(); }

}  // namespace

// sysvKey(path, projectId) -> key
Napi::Value SysvKey(const Napi::CallbackInfo& info) {
  int32_t key = 0;
  ThrowIfFailed(info.Env(), SysvKeyFromPath(ToString(info[0]), info[1].As<Napi::Number>().Int32Value(), &key));
  return Napi::Number::New(info.Env(), key);
}

// sysvOpen(key, size, create, exclusive, mode) -> { id, created }
Napi::Value SysvOpen(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  SysvOpenOptions options;
  ReadCreateOptions(info, 2, &options);
  int id = -1;
  bool created = false;
  ThrowIfFailed(env, SysvGet(info[0].As<Napi::Number>().Int32Value(), ToU64(info[1]), options, &id, &created));
  Napi::Object out = Napi::Object::New(env);
  out.Set("id", Napi::Number::New(env, id));
  out.Set("created", Napi::Boolean::New(env, created));
  return out;
}

// sysvStat(id) -> the fields of SysvStatus, times in seconds
Napi::Value SysvStatJs(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  SysvStatus status;
  ThrowIfFailed(env, SysvStat(ToId(info[0]), &status));
  Napi::Object out = Napi::Object::New(env);
  auto number = [&](const char* name, double value) { out.Set(name, Napi::Number::New(env, value)); };
  number("size", static_cast<double>(status.size));
  number("mode", status.mode);
  number("uid", status.uid);
  number("gid", status.gid);
  number("creatorUid", status.cuid);
  number("creatorGid", status.cgid);
  number("creatorPid", status.creator_pid);
  number("lastPid", status.last_pid);
  number("attachCount", static_cast<double>(status.attached));
  number("attachTime", static_cast<double>(status.attach_time));
  number("detachTime", static_cast<double>(status.detach_time));
  number("changeTime", static_cast<double>(status.change_time));
  out.Set("locked", Napi::Boolean::New(env, status.locked));
  out.Set("removed", Napi::Boolean::New(env, status.removed));
  return out;
}

// sysvRemove(id)
Napi::Value SysvRemoveJs(const Napi::CallbackInfo& info) {
  ThrowIfFailed(info.Env(), SysvRemove(ToId(info[0])));
  return info.Env().Undefined();
}

// sysvSetLocked(id, locked)
Napi::Value SysvSetLockedJs(const Napi::CallbackInfo& info) {
  ThrowIfFailed(info.Env(), SysvSetLocked(ToId(info[0]), ToBool(info[1])));
  return info.Env().Undefined();
}

// sysvAttach(target, id, size, readOnly) -> { mapping, offset }
Napi::Value SysvAttach(const Napi::CallbackInfo& info) {
  const int id = ToId(info[1]);
  const uint64_t size = ToU64(info[2]);
  const bool read_only = ToBool(info[3]);
  return PlaceInView(info.Env(), info[0].As<Napi::Uint8Array>(), size, [&](void* addr) {
    return SysvAttachAt(id, addr, static_cast<size_t>(size), read_only);
  });
}

}  // namespace eshm
