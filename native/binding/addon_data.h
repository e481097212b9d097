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
  // Strong: the ArrayBuffer whose pages we replaced may not be collected
  // while they are shared (design.md, decision 1, the lifetime rule).
  Napi::Reference<Napi::ArrayBuffer> buffer;
  // For a mapping that can grow in place (a resizable map): the descriptor
  // and the file offset of addr. fd is -1 for the others.
  int fd = -1;
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
