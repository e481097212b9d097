// Argument conversions shared by the binding's functions. TypeScript has
// already validated every argument; these only change representation.
#pragma once

#include <napi.h>

#include <cstdint>
#include <string>

namespace eshm {

inline uint64_t ToU64(const Napi::Value& v) {
  return static_cast<uint64_t>(v.As<Napi::Number>().Int64Value());
}

inline bool ToBool(const Napi::Value& v) { return v.As<Napi::Boolean>().Value(); }

inline std::string ToString(const Napi::Value& v) { return v.As<Napi::String>().Utf8Value(); }

}  // namespace eshm
