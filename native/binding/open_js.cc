#include "binding/open_js.h"

#include "binding/convert.h"
#include "binding/errors_js.h"
#include "binding/file_wrap.h"
#include "core/named_shm.h"
#include "core/shared_file.h"

namespace eshm {

// createAnonymousFile(size, dir, allowMemfd, growable) -> SharedFile
Napi::Value CreateAnonymousFile(const Napi::CallbackInfo& info) {
  UniqueFd fd;
  ThrowIfFailed(info.Env(), eshm::CreateAnonymousFile(ToU64(info[0]), ToString(info[1]), ToBool(info[2]), &fd, ToBool(info[3])));
  return SharedFile::Wrap(info.Env(), std::move(fd));
}

// openNamed(name, size, create, exclusive, mode, readOnly) -> { file, created }
Napi::Value OpenNamed(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  NamedOpenOptions options;
  ReadCreateOptions(info, 2, &options);
  options.read_only = ToBool(info[5]);
  NamedSegment segment;
  ThrowIfFailed(env, eshm::OpenNamed(ToString(info[0]), ToU64(info[1]), options, &segment));
  Napi::Object out = Napi::Object::New(env);
  out.Set("file", SharedFile::Wrap(env, std::move(segment.fd)));
  out.Set("created", Napi::Boolean::New(env, segment.created));
  return out;
}

// unlinkNamed(name)
Napi::Value UnlinkNamed(const Napi::CallbackInfo& info) {
  ThrowIfFailed(info.Env(), eshm::UnlinkNamed(ToString(info[0])));
  return info.Env().Undefined();
}

// adoptInherited(fd) -> SharedFile
Napi::Value AdoptInherited(const Napi::CallbackInfo& info) {
  int fd = static_cast<int>(ToU64(info[0]));
  ThrowIfFailed(info.Env(), AdoptInheritedFd(fd));
  return SharedFile::Wrap(info.Env(), UniqueFd(fd));
}

}  // namespace eshm
