// exportFile / revokeExport / fetchExport / brokerState: the broker of
// core/broker.h, for TypeScript's handle strings.
#include "binding/broker_js.h"

#include <cstdio>

#include "binding/addon_data.h"
#include "binding/convert.h"
#include "binding/errors_js.h"
#include "binding/file_wrap.h"
#include "binding/frame_js.h"
#include "core/broker.h"

namespace eshm {
namespace {

std::string ToHex(const Secret& secret) {
  std::string hex;
  char byte[3];
  for (uint8_t b : secret) {
    std::snprintf(byte, sizeof byte, "%02x", b);
    hex += byte;
  }
  return hex;
}

Secret FromHex(const std::string& hex) {
  Secret secret{};
  for (size_t i = 0; i < secret.size() && 2 * i + 1 < hex.size(); ++i) {
    secret[i] = static_cast<uint8_t>(std::stoul(hex.substr(2 * i, 2), nullptr, 16));
  }
  return secret;
}

uint64_t ToId(const Napi::Value& v) {
  bool lossless = false;
  return v.As<Napi::BigInt>().Uint64Value(&lossless);
}

}  // namespace

// exportFile(file, once, pid, frameCore?) -> { pid, nonce, id: bigint, secret: hex }
// With a frame core, its wake descriptors travel with the memory.
Napi::Value ExportFile(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  SharedFile* file = Napi::ObjectWrap<SharedFile>::Unwrap(info[0].As<Napi::Object>());
  ExportPolicy policy;
  policy.once = ToBool(info[1]);
  policy.pid = static_cast<pid_t>(ToU64(info[2]));
  std::vector<int> fds{file->Fd(env)};
  if (info[3].IsObject()) {
    for (int fd : Napi::ObjectWrap<FrameCore>::Unwrap(info[3].As<Napi::Object>())->WakeFds(env)) fds.push_back(fd);
  }
  ExportTicket ticket;
  ThrowIfFailed(env, Export(fds, policy, &ticket));
  Data(env).exports.insert(ticket.id);

  Napi::Object out = Napi::Object::New(env);
  out.Set("pid", Napi::Number::New(env, ticket.broker_pid));
  out.Set("nonce", Napi::String::New(env, ticket.nonce));
  out.Set("id", Napi::BigInt::New(env, ticket.id));
  out.Set("secret", Napi::String::New(env, ToHex(ticket.secret)));
  return out;
}

// revokeExport(id) -> whether it was still live
Napi::Value RevokeExport(const Napi::CallbackInfo& info) {
  uint64_t id = ToId(info[0]);
  Data(info.Env()).exports.erase(id);
  return Napi::Boolean::New(info.Env(), Revoke(id));
}

// fetchExport(pid, nonce, id, secretHex, timeoutMs) -> SharedFile
Napi::Value FetchExport(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  ExportTicket ticket;
  ticket.broker_pid = static_cast<pid_t>(ToU64(info[0]));
  ticket.nonce = ToString(info[1]);
  ticket.id = ToId(info[2]);
  ticket.secret = FromHex(ToString(info[3]));
  Received received;
  ThrowIfFailed(env, Fetch(ticket, static_cast<int>(ToU64(info[4])), &received));
  return SharedFile::Wrap(env, std::move(received.fd), std::move(received.companions));
}

// brokerState() -> { running, liveExports, connections }, for tests and diagnostics
Napi::Value BrokerState(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  Napi::Object out = Napi::Object::New(env);
  out.Set("running", Napi::Boolean::New(env, BrokerRunning()));
  out.Set("liveExports", Napi::Number::New(env, static_cast<double>(LiveExports())));
  out.Set("connections", Napi::Number::New(env, static_cast<double>(BrokerConnections())));
  return out;
}

void RevokeAllExports(Napi::Env env) {
  for (uint64_t id : Data(env).exports) Revoke(id);
  Data(env).exports.clear();
}

}  // namespace eshm
