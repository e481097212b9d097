#include "binding/errors_js.h"

#include "binding/addon_data.h"

namespace eshm {

void ThrowStatus(Napi::Env env, const Status& status) {
  AddonData& data = Data(env);
  Napi::Object error;
  Napi::String message = Napi::String::New(env, status.Message());
  Napi::String code = Napi::String::New(env, status.CodeName());
  if (!data.error_class.IsEmpty()) {
    error = data.error_class.New({code, message});
  } else {
    error = Napi::Error::New(env, status.Message()).Value();
    error.Set("code", code);
  }
  if (*status.syscall != '\0') {
    error.Set("syscall", Napi::String::New(env, status.syscall));
    error.Set("errno", Napi::Number::New(env, status.err));
  }
  if (*status.limit != '\0') error.Set("limit", Napi::String::New(env, status.limit));
  throw Napi::Error(env, error);
}

Napi::Value SetErrorClass(const Napi::CallbackInfo& info) {
  Data(info.Env()).error_class = Napi::Persistent(info[0].As<Napi::Function>());
  return info.Env().Undefined();
}

}  // namespace eshm
