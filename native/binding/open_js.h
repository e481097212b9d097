// The ways to get a SharedFile: anonymous, named, inherited.
#pragma once

#include <napi.h>

namespace eshm {

Napi::Value CreateAnonymousFile(const Napi::CallbackInfo& info);
Napi::Value OpenNamed(const Napi::CallbackInfo& info);
Napi::Value UnlinkNamed(const Napi::CallbackInfo& info);
Napi::Value AdoptInherited(const Napi::CallbackInfo& info);

}  // namespace eshm
