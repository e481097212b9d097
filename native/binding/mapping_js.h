// Zero-copy views: shared pages placed inside a V8-owned ArrayBuffer.
//
// An ArrayBuffer over foreign memory is refused by Electron's V8 memory
// cage, so the view's ArrayBuffer is an ordinary one that V8 allocated, and
// the shared pages are mapped over its page-aligned interior (MAP_FIXED).
// The rule that keeps this safe: V8 may free that ArrayBuffer only after its
// pages are private again. See docs/zero-copy-views.md.
#pragma once

#include <napi.h>

#include <cstdint>
#include <functional>

#include "core/status.h"

namespace eshm {

// Maps [offset, offset + length) of fd and returns a Mapping object whose
// `bytes` is a Uint8Array over exactly those shared bytes.
Napi::Value CreateMapping(Napi::Env env, int fd, uint64_t offset, uint64_t length,
                          bool read_only, bool populate);

// The same for any shared memory: `place` puts `length` shared bytes at the
// page-aligned address it is given (mmap, shmat), replacing private pages,
// and leaves the range whole if it fails.
using PlaceShared = std::function<Status(void* addr)>;
Napi::Value CreateMappingWith(Napi::Env env, uint64_t length, const PlaceShared& place);

// Maps [file_offset, file_offset + length) of fd over the page-aligned
// interior of `buffer`, an ArrayBuffer the caller made (a resizable one,
// whose views track its length), and returns { mapping, offset }: the
// Mapping object (which can extend() in place) and the byte offset in
// `buffer` where the shared bytes begin. The buffer must already be at
// least offset + length bytes long.
Napi::Value MapIntoBuffer(Napi::Env env, Napi::ArrayBuffer buffer, int fd, uint64_t file_offset, uint64_t length);

class Mapping : public Napi::ObjectWrap<Mapping> {
 public:
  static Napi::Function DefineClass(Napi::Env env);
  explicit Mapping(const Napi::CallbackInfo& info);
  // A Mapping object for the record `id` of AddonData::mappings.
  static Napi::Object ForRecord(Napi::Env env, uint64_t id);

 private:
  Napi::Value Unmap(const Napi::CallbackInfo& info);
  Napi::Value Lock(const Napi::CallbackInfo& info);
  Napi::Value Unlock(const Napi::CallbackInfo& info);
  Napi::Value Extend(const Napi::CallbackInfo& info);

  // Key of this mapping's record in AddonData::mappings; 0 once unmapped.
  // The record, not this object, owns the pages: if this object is collected
  // while still mapped, the record keeps the ArrayBuffer alive until the
  // environment ends.
  uint64_t id_ = 0;

};

// Makes every remaining mapping of this environment private again. Runs as
// an environment cleanup hook, before V8 frees any ArrayBuffer.
void RestoreAllMappings(Napi::Env env);

}  // namespace eshm
