// Zero-copy views: shared pages placed inside memory that V8 owns.
//
// An ArrayBuffer over foreign memory is refused by Electron's V8 memory
// cage, so TypeScript makes the view's buffer (a SharedArrayBuffer, which
// nothing can detach, transfer or shrink; main/lib/view-buffer.ts) and the
// shared pages are mapped over its page-aligned interior (MAP_FIXED). The
// rule that keeps this safe: V8 may free that memory only after its pages
// are private again. See docs/zero-copy-views.md.
#pragma once

#include <napi.h>

#include <cstdint>
#include <functional>

#include "core/status.h"

namespace eshm {

// Puts `length` shared bytes at the page-aligned address it is given (mmap,
// shmat), replacing the private pages there, and leaves the range whole if
// it fails.
using PlaceShared = std::function<Status(void* addr)>;

// Places `length` shared bytes at the first page boundary inside `target`
// (a Uint8Array over a whole view buffer, at least a page longer than
// `length` rounded up to pages) and records the mapping. `file_offset` is
// the offset, in its file, of the memory placed there, for extend().
// Returns { mapping, offset }: the Mapping object, and where the shared
// bytes begin in `target`.
Napi::Value PlaceInView(Napi::Env env, Napi::Uint8Array target, uint64_t length, const PlaceShared& place,
                        uint64_t file_offset = 0);

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
  // while still mapped, the record keeps the buffer alive until the
  // environment ends.
  uint64_t id_ = 0;
};

// pageOffsetOf(target): bytes from the start of the Uint8Array `target` to
// its first page boundary, where PlaceInView puts shared pages.
Napi::Value PageOffsetOf(const Napi::CallbackInfo& info);

// Makes every remaining mapping of this environment private again. Runs as
// an environment cleanup hook, before V8 frees any buffer.
void RestoreAllMappings(Napi::Env env);

}  // namespace eshm
