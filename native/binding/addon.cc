// The addon's entry point: registers the binding's classes and functions and
// nothing else. Each file of binding/ converts arguments, calls the core and
// converts results and errors; policy lives in the core or in TypeScript.
#include <napi.h>

#include "binding/addon_data.h"
#include "binding/broker_js.h"
#include "binding/errors_js.h"
#include "binding/file_wrap.h"
#include "binding/frame_js.h"
#include "binding/mapping_js.h"
#include "binding/open_js.h"
#include "binding/semaphore_js.h"
#include "binding/sysv_js.h"
#include "binding/watcher_js.h"
#include "core/mapping.h"

namespace eshm {

AddonData& Data(Napi::Env env) { return *env.GetInstanceData<AddonData>(); }

namespace {

Napi::Value PageSizeJs(const Napi::CallbackInfo& info) {
  return Napi::Number::New(info.Env(), static_cast<double>(PageSize()));
}

// Runs as the environment ends (a worker's too), before V8 frees anything.
// No JavaScript runs here and no handle is made: nothing in it can be
// refused by an environment that is going away.
void OnEnvironmentEnd(napi_env raw) {
  Napi::Env env(raw);
  RevokeAllExports(env);
  RestoreAllMappings(env);
}

Napi::Object Init(Napi::Env env, Napi::Object exports) {
  auto* data = new AddonData;
  env.SetInstanceData<AddonData>(data);
  data->file_class = Napi::Persistent(SharedFile::DefineClass(env));
  data->mapping_class = Napi::Persistent(Mapping::DefineClass(env));
  data->frame_core_class = Napi::Persistent(FrameCore::DefineClass(env));
  env.AddCleanupHook(OnEnvironmentEnd, static_cast<napi_env>(env));

  exports.Set("setErrorClass", Napi::Function::New<SetErrorClass>(env));
  exports.Set("pageSize", Napi::Function::New<PageSizeJs>(env));
  exports.Set("pageOffsetOf", Napi::Function::New<PageOffsetOf>(env));
  exports.Set("createAnonymousFile", Napi::Function::New<CreateAnonymousFile>(env));
  exports.Set("openNamed", Napi::Function::New<OpenNamed>(env));
  exports.Set("unlinkNamed", Napi::Function::New<UnlinkNamed>(env));
  exports.Set("adoptInherited", Napi::Function::New<AdoptInherited>(env));
  exports.Set("exportFile", Napi::Function::New<ExportFile>(env));
  exports.Set("revokeExport", Napi::Function::New<RevokeExport>(env));
  exports.Set("fetchExport", Napi::Function::New<FetchExport>(env));
  exports.Set("brokerState", Napi::Function::New<BrokerState>(env));
  exports.Set("createSemaphore", Napi::Function::New<CreateSemaphoreJs>(env));
  exports.Set("checkSemaphore", Napi::Function::New<CheckSemaphoreJs>(env));
  exports.Set("postSemaphore", Napi::Function::New<PostSemaphoreJs>(env));
  exports.Set("tryTakeSemaphore", Napi::Function::New<TryTakeSemaphoreJs>(env));
  exports.Set("watchSemaphore", Napi::Function::New<WatchSemaphoreJs>(env));
  exports.Set("unwatchSemaphore", Napi::Function::New<UnwatchSemaphoreJs>(env));
  exports.Set("createFrameCore", Napi::Function::New<FrameCore::Create>(env));
  exports.Set("openFrameCore", Napi::Function::New<FrameCore::Open>(env));
  exports.Set("frameConstants", FrameConstants(env));
  exports.Set("setWakeHandler", Napi::Function::New<SetWakeHandler>(env));
  exports.Set("setWatcherActive", Napi::Function::New<SetWatcherActive>(env));
  exports.Set("sysvKey", Napi::Function::New<SysvKey>(env));
  exports.Set("sysvOpen", Napi::Function::New<SysvOpen>(env));
  exports.Set("sysvStat", Napi::Function::New<SysvStatJs>(env));
  exports.Set("sysvRemove", Napi::Function::New<SysvRemoveJs>(env));
  exports.Set("sysvSetLocked", Napi::Function::New<SysvSetLockedJs>(env));
  exports.Set("sysvAttach", Napi::Function::New<SysvAttach>(env));
  return exports;
}

}  // namespace
}  // namespace eshm

static Napi::Object InitAddon(Napi::Env env, Napi::Object exports) {
  return eshm::Init(env, exports);
}

NODE_API_MODULE(electron_shm, InitAddon)
