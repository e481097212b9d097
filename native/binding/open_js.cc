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
  Status s = eshm::CreateAnonymousFile(ToU64(info[0]), ToString(info[1]), ToBool(info[2]), &fd, ToBool(info[3]));
  if (!s.ok()) ThrowStatus(info.Env(), s);
  return SharedFile::Wrap(info.Env(), std::move(fd));
}

// openNamed(name, size, create, exclusive, mode, readOnly) -> { file, created }
Napi::Value OpenNamed(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  NamedOpenOptions options;
  options.create = ToBool(info[2]);
  options.exclusive = ToBool(info[3]);
  options.mode = static_cast<unsigned>(ToU64(info[4]));
  options.read_only = ToBool(info[5]);
  NamedSegment segment;
  Status s = eshm::OpenNamed(ToString(info[0]), ToU64(info[1]), options, &segment);
  if (!s.ok()) ThrowStatus(env, s);
  Napi::Object out = Napi::Object::New(env);
  out.Set("file", SharedFile::Wrap(env, std::move(segment.fd)));
  out.Set("created", Napi::Boolean::New(env, segment.created));
  return out;
}

// unlinkNamed(name)
Napi::Value UnlinkNamed(const Napi::CallbackInfo& info) {
  Status s = eshm::UnlinkNamed(ToString(info[0]));
  if (!s.ok()) ThrowStatus(info.Env(), s);
  return info.Env().Undefined();
}

// adoptInherited(fd) -> SharedFile
Napi::Value AdoptInherited(const Napi::CallbackInfo& info) {
  int fd = static_cast<int>(ToU64(info[0]));
  Status s = AdoptInheritedFd(fd);
  if (!s.ok()) ThrowStatus(info.Env(), s);
  return SharedFile::Wrap(info.Env(), UniqueFd(fd));
}

}  // namespace eshm
