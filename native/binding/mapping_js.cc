#include "binding/mapping_js.h"

#include "binding/addon_data.h"
#include "binding/errors_js.h"
#include "core/mapping.h"

namespace eshm {
namespace {

// Ends one mapping: private pages first, while our reference still keeps
// the ArrayBuffer alive; then detach, so every view of it reads as length
// 0; then drop the reference. Detaching may free the backing store at once,
// which is why the pages must already be private by then.
Status EndMapping(MappingRecord& record) {
  Status s = RestorePrivateAt(record.addr, record.length);
  if (!s.ok()) {
    // The pages are still shared: V8 must never get this memory back. Keep
    // the reference forever.
    record.buffer.SuppressDestruct();
    return s;
  }
  Napi::Env env = record.buffer.Env();
  Napi::HandleScope scope(env);
  Napi::ArrayBuffer buffer = record.buffer.Value();
  // A buffer that cannot be detached keeps its length but now reads private
  // zeros: safe, so the failure is not reported.
  bool detached = false;
  if (napi_is_detached_arraybuffer(env, buffer, &detached) == napi_ok && !detached) {
    napi_detach_arraybuffer(env, buffer);
  }
  record.buffer.Reset();
  return Status::Ok();
}

MappingRecord* Find(Napi::Env env, uint64_t id) {
  auto& mappings = Data(env).mappings;
  auto it = mappings.find(id);
  if (id == 0 || it == mappings.end()) {
    ThrowStatus(env, Status::Own("ERR_CLOSED", "the mapping was unmapped"));
  }
  return &it->second;
}

}  // namespace

Napi::Value CreateMapping(Napi::Env env, int fd, uint64_t offset, uint64_t length,
                          bool read_only, bool populate) {
  return CreateMappingWith(env, length, [&](void* addr) {
    return MapSharedAt(addr, static_cast<size_t>(length), fd, offset, read_only, populate);
  });
}

Napi::Value CreateMappingWith(Napi::Env env, uint64_t length, const PlaceShared& place) {
  const uint64_t page = PageSize();
  const uint64_t span = RoundUpToPage(length);
  // One spare page, so that a page-aligned run of `span` bytes fits inside
  // wherever the allocator puts the buffer.
  Napi::ArrayBuffer buffer;
  try {
    buffer = Napi::ArrayBuffer::New(env, static_cast<size_t>(span + page));
  } catch (const Napi::Error&) {
    ThrowStatus(env, Status::Own("ENOMEM", "V8 could not allocate a buffer of " +
                                               std::to_string(span + page) + " bytes for the view"));
  }
  auto base = reinterpret_cast<uintptr_t>(buffer.Data());
  uintptr_t aligned = (base + page - 1) / page * page;
  void* addr = reinterpret_cast<void*>(aligned);

  Status s = place(addr);
  if (!s.ok()) ThrowStatus(env, s);

  AddonData& data = Data(env);
  uint64_t id = data.next_mapping_id++;
  MappingRecord& record = data.mappings[id];
  record.addr = addr;
  record.length = static_cast<size_t>(length);
  record.buffer = Napi::Persistent(buffer);

  Napi::Object mapping = data.mapping_class.New({});
  Napi::ObjectWrap<Mapping>::Unwrap(mapping)->id_ = id;
  mapping.Set("bytes", Napi::Uint8Array::New(env, static_cast<size_t>(length), buffer,
                                             static_cast<size_t>(aligned - base)));
  return mapping;
}

Napi::Function Mapping::DefineClass(Napi::Env env) {
  return ObjectWrap<Mapping>::DefineClass(env, "Mapping",
                                          {
                                              InstanceMethod<&Mapping::Unmap>("unmap"),
                                              InstanceMethod<&Mapping::Lock>("lock"),
                                              InstanceMethod<&Mapping::Unlock>("unlock"),
                                          });
}

Mapping::Mapping(const Napi::CallbackInfo& info) : ObjectWrap<Mapping>(info) {}

Napi::Value Mapping::Unmap(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  auto& mappings = Data(env).mappings;
  auto it = mappings.find(id_);
  if (it == mappings.end()) return env.Undefined();  // unmapping twice is harmless
  Status s = EndMapping(it->second);
  if (!s.ok()) ThrowStatus(env, s);
  mappings.erase(it);
  id_ = 0;
  return env.Undefined();
}

Napi::Value Mapping::Lock(const Napi::CallbackInfo& info) {
  MappingRecord* record = Find(info.Env(), id_);
  Status s = LockRange(record->addr, record->length);
  if (!s.ok()) ThrowStatus(info.Env(), s);
  return info.Env().Undefined();
}

Napi::Value Mapping::Unlock(const Napi::CallbackInfo& info) {
  MappingRecord* record = Find(info.Env(), id_);
  Status s = UnlockRange(record->addr, record->length);
  if (!s.ok()) ThrowStatus(info.Env(), s);
  return info.Env().Undefined();
}

void RestoreAllMappings(Napi::Env env) {
  auto& mappings = Data(env).mappings;
  for (auto it = mappings.begin(); it != mappings.end();) {
    EndMapping(it->second);
    it = mappings.erase(it);
  }
}

}  // namespace eshm
