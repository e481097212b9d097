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

// The create, exclusive and mode arguments, at info[first] and the two
// after it, into an open's options (named memory's and System V's).
template <typename Options>
void ReadCreateOptions(const Napi::CallbackInfo& info, size_t first, Options* options) {
  options->create = ToBool(info[first]);
  options->exclusive = ToBool(info[first + 1]);
  options->mode = static_cast<decltype(options->mode)>(ToU64(info[first + 2]));
}

}  // namespace eshm
