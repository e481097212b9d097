// State the addon keeps per Node environment (main thread, each worker):
// the classes it instantiates, and every live mapping and export, so that a
// torn-down environment leaves no shared pages under memory V8 will free.
#pragma once

#include <napi.h>

#include <cstdint>
#include <map>
#include <memory>
#include <set>

namespace eshm {

struct MappingRecord {
  void* addr = nullptr;  // page-aligned start of the shared pages
  size_t length = 0;     // bytes of the view; the pages span RoundUpToPage(length)
  // Strong: a Uint8Array over the whole buffer whose pages we replaced, so
  // that the buffer's memory cannot be freed while they are shared (the
  // lifetime rule of docs/zero-copy-views.md).
  Napi::Reference<Napi::Uint8Array> target;
  // Where addr is in the memory's file, for a mapping that grows in place
  // (a resizable map's).
  uint64_t file_offset = 0;
};

// The wake watcher of watcher_js.cc, made on first use.
struct Watcher;
struct WatcherDeleter {
  void operator()(Watcher* watcher) const;
};

struct AddonData {
  Napi::FunctionReference error_class;  // ShmError, registered by TypeScript
  Napi::FunctionReference file_class;
  Napi::FunctionReference mapping_class;
  std::map<uint64_t, MappingRecord> mappings;
  uint64_t next_mapping_id = 1;
  std::set<uint64_t> exports;
  Napi::FunctionReference frame_core_class;
  std::unique_ptr<Watcher, WatcherDeleter> watcher;
};

AddonData& Data(Napi::Env env);

}  // namespace eshm
