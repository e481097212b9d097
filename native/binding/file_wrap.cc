#include "binding/file_wrap.h"

#include "binding/addon_data.h"
#include "binding/convert.h"
#include "binding/errors_js.h"
#include "binding/mapping_js.h"
#include "binding/watcher_js.h"
#include "core/mapping.h"
#include "core/resizable.h"
#include "core/shared_file.h"

namespace eshm {

Napi::Function SharedFile::DefineClass(Napi::Env env) {
  return ObjectWrap<SharedFile>::DefineClass(
      env, "SharedFile",
      {
          InstanceAccessor<&SharedFile::GetFd>("fd"),
          InstanceMethod<&SharedFile::Describe>("describe"),
          InstanceMethod<&SharedFile::SealForSharing>("sealForSharing"),
          InstanceMethod<&SharedFile::ReopenReadOnly>("reopenReadOnly"),
          InstanceMethod<&SharedFile::Map>("map"),
          InstanceMethod<&SharedFile::Allocate>("allocate"),
          InstanceMethod<&SharedFile::InitResizable>("initResizable"),
          InstanceMethod<&SharedFile::ReadResizable>("readResizable"),
          InstanceMethod<&SharedFile::GrowResizable>("growResizable"),
          InstanceMethod<&SharedFile::Close>("close"),
      });
}

Napi::Object SharedFile::Wrap(Napi::Env env, UniqueFd fd, std::vector<UniqueFd> companions) {
  Napi::Object object = Data(env).file_class.New({});
  Unwrap(object)->fd_ = std::move(fd);
  Unwrap(object)->companions_ = std::move(companions);
  return object;
}

SharedFile::SharedFile(const Napi::CallbackInfo& info) : ObjectWrap<SharedFile>(info) {}

int SharedFile::Fd(Napi::Env env) const {
  if (!fd_.valid()) ThrowStatus(env, Status::Own("ERR_CLOSED", "The shared memory is closed"));
  return fd_.get();
}

Napi::Value SharedFile::GetFd(const Napi::CallbackInfo& info) {
  return Napi::Number::New(info.Env(), Fd(info.Env()));
}

Napi::Value SharedFile::Describe(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  FileInfo file;
  ThrowIfFailed(env, DescribeFile(Fd(env), &file));
  Napi::Object out = Napi::Object::New(env);
  out.Set("size", Napi::Number::New(env, static_cast<double>(file.size)));
  out.Set("readOnly", Napi::Boolean::New(env, file.read_only));
  out.Set("memfd", Napi::Boolean::New(env, file.memfd));
  out.Set("writeSealed", Napi::Boolean::New(env, file.write_sealed));
  out.Set("sealsFinal", Napi::Boolean::New(env, file.seals_final));
  out.Set("shrinkSealed", Napi::Boolean::New(env, file.shrink_sealed));
  out.Set("growSealed", Napi::Boolean::New(env, file.grow_sealed));
  out.Set("companions", Napi::Number::New(env, static_cast<double>(companions_.size())));
  return out;
}

// sealForSharing(readOnly)
Napi::Value SharedFile::SealForSharing(const Napi::CallbackInfo& info) {
  ThrowIfFailed(info.Env(), eshm::SealForSharing(Fd(info.Env()), ToBool(info[0])));
  return info.Env().Undefined();
}

Napi::Value SharedFile::ReopenReadOnly(const Napi::CallbackInfo& info) {
  UniqueFd ro;
  ThrowIfFailed(info.Env(), eshm::ReopenReadOnly(Fd(info.Env()), &ro));
  return Wrap(info.Env(), std::move(ro));
}

// map(target, offset, length, readOnly, populate) -> { mapping, offset }:
// [offset, offset + length) of the memory, placed inside `target`'s buffer.
Napi::Value SharedFile::Map(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  const int fd = Fd(env);
  const uint64_t offset = ToU64(info[1]);
  const uint64_t length = ToU64(info[2]);
  const bool read_only = ToBool(info[3]);
  const bool populate = ToBool(info[4]);
  return PlaceInView(
      env, info[0].As<Napi::Uint8Array>(), length,
      [&](void* addr) { return MapSharedAt(addr, static_cast<size_t>(length), fd, offset, read_only, populate); },
      offset);
}

// allocate(): gives the memory its pages now, so that running out of memory
// is an error here (ENOSPC) rather than a SIGBUS at a later first touch.
Napi::Value SharedFile::Allocate(const Napi::CallbackInfo& info) {
  ThrowIfFailed(info.Env(), eshm::Reserve(Fd(info.Env())));
  return info.Env().Undefined();
}

namespace {

// { size, span, dataOffset }: a resizable map's header for TypeScript.
Napi::Object HeaderObject(Napi::Env env, uint64_t size, uint64_t span) {
  Napi::Object out = Napi::Object::New(env);
  out.Set("size", Napi::Number::New(env, static_cast<double>(size)));
  out.Set("span", Napi::Number::New(env, static_cast<double>(span)));
  out.Set("dataOffset", Napi::Number::New(env, static_cast<double>(ResizableDataOffset())));
  return out;
}

}  // namespace

// initResizable(size, span) -> the header written in the new file
Napi::Value SharedFile::InitResizable(const Napi::CallbackInfo& info) {
  const uint64_t size = ToU64(info[0]);
  const uint64_t span = ToU64(info[1]);
  ThrowIfFailed(info.Env(), eshm::InitResizable(Fd(info.Env()), size, span));
  return HeaderObject(info.Env(), size, span);
}

// readResizable(expectedSpan) -> { size, span, dataOffset }
Napi::Value SharedFile::ReadResizable(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  uint64_t size = 0, span = 0;
  ThrowIfFailed(env, eshm::ReadResizable(Fd(env), ToU64(info[0]), &size, &span));
  return HeaderObject(env, size, span);
}

// growResizable(wanted, span) -> the size after
Napi::Value SharedFile::GrowResizable(const Napi::CallbackInfo& info) {
  uint64_t now = 0;
  ThrowIfFailed(info.Env(), eshm::GrowResizable(Fd(info.Env()), ToU64(info[0]), ToU64(info[1]), &now));
  return Napi::Number::New(info.Env(), static_cast<double>(now));
}

std::vector<UniqueFd> SharedFile::TakeCompanions() { return std::move(companions_); }

Napi::Value SharedFile::Close(const Napi::CallbackInfo& info) {
  // A semaphore's descriptor may be watched: its number must leave the
  // watcher before it can be reused.
  if (fd_.valid()) UnwatchFd(info.Env(), fd_.get());
  fd_.reset();
  companions_.clear();
  return info.Env().Undefined();
}

}  // namespace eshm
