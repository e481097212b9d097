#include "binding/mapping_js.h"

#include "binding/addon_data.h"
#include "binding/convert.h"
#include "binding/errors_js.h"
#include "binding/file_wrap.h"
#include "core/mapping.h"

namespace eshm {
namespace {

// Ends one mapping: private pages first, while our reference still keeps
// the buffer alive; then drop the reference. The buffer is never detached:
// a SharedArrayBuffer cannot be, and detaching an untransferable buffer
// aborts the process on Node 24 and later. Arrays over it keep their length
// and read the fresh private pages.
Status EndMapping(MappingRecord& record) {
  Status s = RestorePrivateAt(record.addr, record.length);
  if (!s.ok()) {
    // The pages are still shared: V8 must never get this memory back. Keep
    // the reference forever.
    record.target.SuppressDestruct();
    return s;
  }
  record.target.Reset();
  return Status::Ok();
}

MappingRecord* Find(Napi::Env env, uint64_t id) {
  auto& mappings = Data(env).mappings;
  auto it = mappings.find(id);
  if (id == 0 || it == mappings.end()) {
    ThrowStatus(env, Status::Own("ERR_CLOSED", "The mapping was unmapped"));
  }
  return &it->second;
}

// Where `target`'s first page boundary is, as an offset into it.
size_t FirstPageOffset(const Napi::Uint8Array& target) {
  const auto base = reinterpret_cast<uintptr_t>(target.Data());
  const uintptr_t page = PageSize();
  return static_cast<size_t>((page - base % page) % page);
}

}  // namespace

Napi::Value PlaceInView(Napi::Env env, Napi::Uint8Array target, uint64_t length, const PlaceShared& place,
                        uint64_t file_offset) {
  const size_t offset = FirstPageOffset(target);
  if (offset + RoundUpToPage(length) > target.ByteLength()) {
    ThrowStatus(env, Status::Own("EINVAL", "The buffer is too small for the pages it should hold"));
  }
  void* addr = static_cast<uint8_t*>(target.Data()) + offset;
  Status s = place(addr);
  if (!s.ok()) {
    // A failed placement leaves the buffer's own pages, or fills a hole it
    // made with private ones. Should even that have failed, V8 must never
    // get back memory with a hole in it: the kernel may put any later
    // mapping there (another view's shared pages), under addresses the
    // allocator hands to the next buffer. Keep the buffer forever.
    if (!RangeIsMapped(addr, static_cast<size_t>(length))) Napi::Persistent(target).SuppressDestruct();
    ThrowStatus(env, s);
  }

  AddonData& data = Data(env);
  uint64_t id = data.next_mapping_id++;
  MappingRecord& record = data.mappings[id];
  record.addr = addr;
  record.length = static_cast<size_t>(length);
  record.target = Napi::Persistent(target);
  record.file_offset = file_offset;
  try {
    Napi::Object out = Napi::Object::New(env);
    out.Set("mapping", Mapping::ForRecord(env, id));
    out.Set("offset", Napi::Number::New(env, static_cast<double>(offset)));
    return out;
  } catch (...) {
    // No JavaScript object will ever name this mapping (the environment
    // may be ending): end it now rather than leave it shared until then.
    if (EndMapping(record).ok()) data.mappings.erase(id);
    throw;
  }
}

Napi::Value PageOffsetOf(const Napi::CallbackInfo& info) {
  return Napi::Number::New(info.Env(), static_cast<double>(FirstPageOffset(info[0].As<Napi::Uint8Array>())));
}

Napi::Function Mapping::DefineClass(Napi::Env env) {
  return ObjectWrap<Mapping>::DefineClass(env, "Mapping",
                                          {
                                              InstanceMethod<&Mapping::Unmap>("unmap"),
                                              InstanceMethod<&Mapping::Lock>("lock"),
                                              InstanceMethod<&Mapping::Unlock>("unlock"),
                                              InstanceMethod<&Mapping::Extend>("extend"),
                                          });
}

Mapping::Mapping(const Napi::CallbackInfo& info) : ObjectWrap<Mapping>(info) {}

Napi::Object Mapping::ForRecord(Napi::Env env, uint64_t id) {
  Napi::Object mapping = Data(env).mapping_class.New({});
  Unwrap(mapping)->id_ = id;
  return mapping;
}

Napi::Value Mapping::Unmap(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  auto& mappings = Data(env).mappings;
  auto it = mappings.find(id_);
  if (it == mappings.end()) return env.Undefined();  // unmapping twice is harmless
  ThrowIfFailed(env, EndMapping(it->second));
  mappings.erase(it);
  id_ = 0;
  return env.Undefined();
}

Napi::Value Mapping::Lock(const Napi::CallbackInfo& info) {
  MappingRecord* record = Find(info.Env(), id_);
  ThrowIfFailed(info.Env(), LockRange(record->addr, record->length));
  return info.Env().Undefined();
}

Napi::Value Mapping::Unlock(const Napi::CallbackInfo& info) {
  MappingRecord* record = Find(info.Env(), id_);
  ThrowIfFailed(info.Env(), UnlockRange(record->addr, record->length));
  return info.Env().Undefined();
}

// extend(file, newLength): maps the pages of `file` (a SharedFile, the
// one this mapping came from) from the mapping's end up to newLength,
// right after it, so the bytes already mapped do not move. Only inside the
// buffer as long as it is now: the caller grows it first (a growable
// SharedArrayBuffer, whose length-tracking target follows it).
Napi::Value Mapping::Extend(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  MappingRecord* record = Find(env, id_);
  const int fd = Napi::ObjectWrap<SharedFile>::Unwrap(info[0].As<Napi::Object>())->Fd(env);
  const uint64_t wanted = ToU64(info[1]);
  Napi::Uint8Array target = record->target.Value();
  const auto start = static_cast<uint64_t>(static_cast<uint8_t*>(record->addr) - static_cast<uint8_t*>(target.Data()));
  if (start + RoundUpToPage(wanted) > target.ByteLength()) {
    ThrowStatus(env, Status::Own("EINVAL", "The buffer is too short for the pages it should grow into"));
  }
  const uint64_t mapped = RoundUpToPage(record->length);
  if (wanted > mapped) {
    auto* end = static_cast<char*>(record->addr) + mapped;
    const auto growth = static_cast<size_t>(wanted - mapped);
    Status s = MapSharedAt(end, growth, fd, record->file_offset + mapped, false);
    if (!s.ok()) {
      // As in PlaceInView: never let V8 free a buffer with a hole in it.
      if (!RangeIsMapped(end, growth)) Napi::Persistent(target).SuppressDestruct();
      ThrowStatus(env, s);
    }
  }
  if (wanted > record->length) record->length = static_cast<size_t>(wanted);
  return env.Undefined();
}

void RestoreAllMappings(Napi::Env env) {
  auto& mappings = Data(env).mappings;
  for (auto it = mappings.begin(); it != mappings.end();) {
    MappingRecord& record = it->second;
    if (!EndMapping(record).ok()) {
      // The environment is ending: its references go, and V8 frees the
      // buffer whatever we hold. The shared pages must not be there when
      // it does. Take them away (a later use of that memory faults rather
      // than reaching another process); failing that, stop the process.
      if (!UnmapRange(record.addr, record.length).ok()) {
        napi_fatal_error("electron-shm", NAPI_AUTO_LENGTH,
                         "Shared pages could be neither made private nor unmapped as the environment ended", NAPI_AUTO_LENGTH);
      }
    }
    it = mappings.erase(it);
  }
}

}  // namespace eshm
