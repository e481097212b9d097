// The broker's functions as seen from TypeScript.
#pragma once

#include <napi.h>

namespace eshm {

Napi::Value ExportFile(const Napi::CallbackInfo& info);
Napi::Value RevokeExport(const Napi::CallbackInfo& info);
Napi::Value FetchExport(const Napi::CallbackInfo& info);
Napi::Value BrokerState(const Napi::CallbackInfo& info);

// Ends every export this environment made. Runs as a cleanup hook, so a
// worker that ends leaves no descriptor in the broker.
void RevokeAllExports(Napi::Env env);

}  // namespace eshm
