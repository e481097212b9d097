#include "binding/mapping_js.h"

#include "binding/addon_data.h"
#include "binding/convert.h"
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

namespace {

// Places `length` shared bytes at the page-aligned interior of `buffer` and
// records the mapping; `grow_fd` and `grow_offset` for one that extend()
// may grow. Returns the Mapping object; `*offset` is where the bytes begin
// in the buffer.
Napi::Object PlaceInBuffer(Napi::Env env, Napi::ArrayBuffer buffer, uint64_t length, const PlaceShared& place,
                           size_t* offset, int grow_fd = -1, uint64_t grow_offset = 0) {
  const uint64_t page = PageSize();
  auto base = reinterpret_cast<uintptr_t>(buffer.Data());
  uintptr_t aligned = (base + page - 1) / page * page;
  if (aligned - base + RoundUpToPage(length) > buffer.ByteLength()) {
    ThrowStatus(env, Status::Own("EINVAL", "the buffer is too small for the pages it should hold"));
  }
  void* addr = reinterpret_cast<void*>(aligned);
  Status s = place(addr);
  if (!s.ok()) ThrowStatus(env, s);

  AddonData& data = Data(env);
  uint64_t id = data.next_mapping_id++;
  MappingRecord& record = data.mappings[id];
  record.addr = addr;
  record.length = static_cast<size_t>(length);
  record.buffer = Napi::Persistent(buffer);
  record.fd = grow_fd;
  record.file_offset = grow_offset;

  Napi::Object mapping = Mapping::ForRecord(env, id);
  *offset = static_cast<size_t>(aligned - base);
  return mapping;
}

}  // namespace

Napi::Value CreateMappingWith(Napi::Env env, uint64_t length, const PlaceShared& place) {
  const uint64_t page = PageSize();
  // One spare page, so that a page-aligned run of whole pages fits inside
  // wherever the allocator puts the buffer.
  Napi::ArrayBuffer buffer;
  try {
    buffer = Napi::ArrayBuffer::New(env, static_cast<size_t>(RoundUpToPage(length) + page));
  } catch (const Napi::Error&) {
    ThrowStatus(env, Status::Own("ENOMEM", "V8 could not allocate a buffer of " +
                                               std::to_string(RoundUpToPage(length) + page) + " bytes for the view"));
  }
  size_t offset = 0;
  Napi::Object mapping = PlaceInBuffer(env, buffer, length, place, &offset);
  mapping.Set("bytes", Napi::Uint8Array::New(env, static_cast<size_t>(length), buffer, offset));
  return mapping;
}

Napi::Value MapIntoBuffer(Napi::Env env, Napi::ArrayBuffer buffer, int fd, uint64_t file_offset, uint64_t length) {
  size_t offset = 0;
  Napi::Object mapping = PlaceInBuffer(
      env, buffer, length,
      [&](void* addr) { return MapSharedAt(addr, static_cast<size_t>(length), fd, file_offset, false); }, &offset, fd,
      file_offset);
  Napi::Object out = Napi::Object::New(env);
  out.Set("mapping", mapping);
  out.Set("offset", Napi::Number::New(env, static_cast<double>(offset)));
  return out;
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

// extend(newLength): maps the pages from the mapping's end up to
// newLength, right after it, so the bytes already mapped do not move. The
// caller has made the buffer long enough (a resizable ArrayBuffer, grown).
Napi::Value Mapping::Extend(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  MappingRecord* record = Find(env, id_);
  const uint64_t wanted = ToU64(info[0]);
  if (record->fd < 0) ThrowStatus(env, Status::Own("EINVAL", "this mapping cannot grow"));
  const uint64_t mapped = RoundUpToPage(record->length);
  if (wanted > mapped) {
    auto* end = static_cast<char*>(record->addr) + mapped;
    Status s = MapSharedAt(end, static_cast<size_t>(wanted - mapped), record->fd, record->file_offset + mapped, false);
    if (!s.ok()) ThrowStatus(env, s);
  }
  if (wanted > record->length) record->length = static_cast<size_t>(wanted);
  return env.Undefined();
}

void RestoreAllMappings(Napi::Env env) {
  auto& mappings = Data(env).mappings;
  for (auto it = mappings.begin(); it != mappings.end();) {
    EndMapping(it->second);
    it = mappings.erase(it);
  }
}

}  // namespace eshm
