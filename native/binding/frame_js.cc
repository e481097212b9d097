#include "binding/frame_js.h"

#include "binding/addon_data.h"
#include "binding/convert.h"
#include "binding/errors_js.h"
#include "binding/file_wrap.h"
#include "binding/watcher_js.h"

namespace eshm {
namespace {

frames::Geometry GeometryFrom(const Napi::Object& o) {
  frames::Geometry g;
  g.width = static_cast<uint32_t>(ToU64(o.Get("width")));
  g.height = static_cast<uint32_t>(ToU64(o.Get("height")));
  g.format = static_cast<uint32_t>(ToU64(o.Get("format")));
  g.policy = static_cast<uint32_t>(ToU64(o.Get("policy")));
  g.slots = static_cast<uint32_t>(ToU64(o.Get("slots")));
  g.endpoints = static_cast<uint32_t>(ToU64(o.Get("endpoints")));
  g.frame_size = ToU64(o.Get("frameSize"));
  g.slot_size = ToU64(o.Get("slotSize"));
  g.slots_offset = ToU64(o.Get("slotsOffset"));
  return g;
}

Napi::Number Num(Napi::Env env, uint64_t value) { return Napi::Number::New(env, static_cast<double>(value)); }

const char* StateName(frames::PublisherState state) {
  switch (state) {
    case frames::PublisherState::kNone:
      return "none";
    case frames::PublisherState::kAlive:
      return "alive";
    case frames::PublisherState::kClosed:
      return "closed";
    case frames::PublisherState::kCrashed:
      return "crashed";
  }
  return "crashed";
}

}  // namespace

Napi::Function FrameCore::DefineClass(Napi::Env env) {
  return ObjectWrap<FrameCore>::DefineClass(
      env, "FrameCore",
      {
          InstanceMethod<&FrameCore::Geometry>("geometry"),
          InstanceMethod<&FrameCore::Join>("join"),
          InstanceMethod<&FrameCore::ClaimPublisher>("claimPublisher"),
          InstanceMethod<&FrameCore::ReleasePublisher>("releasePublisher"),
          InstanceMethod<&FrameCore::PublisherState>("publisherState"),
          InstanceMethod<&FrameCore::AddSubscriber>("addSubscriber"),
          InstanceMethod<&FrameCore::RemoveSubscriber>("removeSubscriber"),
          InstanceMethod<&FrameCore::Receive>("receive"),
          InstanceMethod<&FrameCore::ReleaseLease>("releaseLease"),
          InstanceMethod<&FrameCore::Loan>("loan"),
          InstanceMethod<&FrameCore::Send>("send"),
          InstanceMethod<&FrameCore::Abandon>("abandon"),
          InstanceMethod<&FrameCore::Arm>("arm"),
          InstanceMethod<&FrameCore::Disarm>("disarm"),
          InstanceMethod<&FrameCore::ReclaimDead>("reclaimDead"),
          InstanceMethod<&FrameCore::Close>("close"),
      });
}

FrameCore::FrameCore(const Napi::CallbackInfo& info) : ObjectWrap<FrameCore>(info), env_(info.Env()) {}

FrameCore::~FrameCore() { Release(); }

Napi::Object FrameCore::Wrap(Napi::Env env, std::unique_ptr<frames::OpenChannel> open) {
  Napi::Object object = Data(env).frame_core_class.New({});
  Unwrap(object)->open_ = std::move(open);
  return object;
}

// createFrameCore(file, geometry, mapSize) -> FrameCore over new (zeroed) memory.
Napi::Value FrameCore::Create(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  SharedFile* file = Napi::ObjectWrap<SharedFile>::Unwrap(info[0].As<Napi::Object>());
  const frames::Geometry geometry = GeometryFrom(info[1].As<Napi::Object>());
  std::unique_ptr<frames::OpenChannel> open;
  ThrowIfFailed(env, frames::OpenChannel::Create(file->Fd(env), geometry, ToU64(info[2]), &open));
  return Wrap(env, std::move(open));
}

// openFrameCore(file, mapSize) -> FrameCore over an imported channel, with
// the wake sockets that came with it in `file`.
Napi::Value FrameCore::Open(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  SharedFile* file = Napi::ObjectWrap<SharedFile>::Unwrap(info[0].As<Napi::Object>());
  const int fd = file->Fd(env);
  std::unique_ptr<frames::OpenChannel> open;
  ThrowIfFailed(env, frames::OpenChannel::Import(fd, file->TakeCompanions(), ToU64(info[1]), &open));
  return Wrap(env, std::move(open));
}

void FrameCore::Release() {
  if (open_ == nullptr) return;
  // Out of the watcher before the core closes them.
  for (int fd : open_->WatchedFds()) UnwatchFd(Napi::Env(env_), fd);
  open_.reset();
}

frames::OpenChannel& FrameCore::Live(Napi::Env env) const {
  if (open_ == nullptr) ThrowStatus(env, Status::Own("ERR_CLOSED", "The frame channel is closed"));
  return *open_;
}

std::vector<int> FrameCore::WakeFds(Napi::Env env) const { return Live(env).WakeFds(); }

Napi::Value FrameCore::Geometry(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  const frames::Geometry& g = Live(env).channel().geometry();
  Napi::Object o = Napi::Object::New(env);
  o.Set("width", Num(env, g.width));
  o.Set("height", Num(env, g.height));
  o.Set("format", Num(env, g.format));
  o.Set("policy", Num(env, g.policy));
  o.Set("slots", Num(env, g.slots));
  o.Set("endpoints", Num(env, g.endpoints));
  o.Set("frameSize", Num(env, g.frame_size));
  o.Set("slotSize", Num(env, g.slot_size));
  o.Set("slotsOffset", Num(env, g.slots_offset));
  return o;
}

// join(token): takes an endpoint for this process and watches its wake socket,
// reporting `token` to the wake handler. Once per FrameCore.
Napi::Value FrameCore::Join(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  frames::OpenChannel& open = Live(env);
  if (open.joined()) return env.Undefined();
  int wake_fd = -1;
  ThrowIfFailed(env, open.Join(&wake_fd));
  try {
    WatchFd(env, wake_fd, static_cast<uint32_t>(ToU64(info[0])), true);
  } catch (...) {
    open.Leave();
    throw;
  }
  return env.Undefined();
}

Napi::Value FrameCore::ClaimPublisher(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  ThrowIfFailed(env, Live(env).channel().ClaimPublisher());
  return env.Undefined();
}

Napi::Value FrameCore::ReleasePublisher(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  Live(env).channel().ReleasePublisher();
  return env.Undefined();
}

// publisherState(watchToken?) -> 'none' | 'alive' | 'closed' | 'crashed'.
// With a token, a live publisher of another process is watched: its pidfd
// reports the token when it exits.
Napi::Value FrameCore::PublisherState(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  frames::OpenChannel& open = Live(env);
  frames::PublisherState state;
  frames::PublisherWatch change;
  ThrowIfFailed(env, open.Publisher(info[0].IsNumber(), &state, &change));
  if (change.retired.valid()) UnwatchFd(env, change.retired.get());
  if (change.started >= 0) {
    try {
      WatchFd(env, change.started, static_cast<uint32_t>(ToU64(info[0])), false);
    } catch (...) {
      open.StopWatchingPublisher();
      throw;
    }
  }
  return Napi::String::New(env, StateName(state));
}

Napi::Value FrameCore::AddSubscriber(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  uint32_t subscriber = 0;
  ThrowIfFailed(env, Live(env).channel().AddSubscriber(&subscriber));
  return Num(env, subscriber);
}

Napi::Value FrameCore::RemoveSubscriber(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  Live(env).channel().RemoveSubscriber(static_cast<uint32_t>(ToU64(info[0])));
  return env.Undefined();
}

// receive(subscriber) -> { slot, sequence, timestamp: bigint, skipped } | null
Napi::Value FrameCore::Receive(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  frames::ReceivedFrame f;
  bool got = false;
  ThrowIfFailed(env, Live(env).channel().Receive(static_cast<uint32_t>(ToU64(info[0])), &f, &got));
  if (!got) return env.Null();
  Napi::Object o = Napi::Object::New(env);
  o.Set("slot", Num(env, f.slot));
  o.Set("sequence", Num(env, f.seq));
  o.Set("timestamp", Napi::BigInt::New(env, f.timestamp));
  o.Set("skipped", Num(env, f.skipped));
  return o;
}

Napi::Value FrameCore::ReleaseLease(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  ThrowIfFailed(env, Live(env).channel().ReleaseLease(static_cast<uint32_t>(ToU64(info[0])), static_cast<uint32_t>(ToU64(info[1]))));
  return env.Undefined();
}

// loan() -> { slot, sequence }, or throws ERR_NO_FREE_SLOT
Napi::Value FrameCore::Loan(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  frames::Loan loan;
  ThrowIfFailed(env, Live(env).channel().LoanSlot(&loan));
  Napi::Object o = Napi::Object::New(env);
  o.Set("slot", Num(env, loan.slot));
  o.Set("sequence", Num(env, loan.seq));
  return o;
}

// send(slot, sequence, timestamp: bigint)
Napi::Value FrameCore::Send(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  bool lossless = false;
  frames::Loan loan{static_cast<uint32_t>(ToU64(info[0])), ToU64(info[1])};
  ThrowIfFailed(env, Live(env).channel().Send(loan, info[2].As<Napi::BigInt>().Uint64Value(&lossless)));
  return env.Undefined();
}

// abandon(slot, sequence)
Napi::Value FrameCore::Abandon(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  ThrowIfFailed(env, Live(env).channel().Abandon(frames::Loan{static_cast<uint32_t>(ToU64(info[0])), ToU64(info[1])}));
  return env.Undefined();
}

// arm(requests) / disarm(requests): WakeRequest bits of this endpoint
Napi::Value FrameCore::Arm(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  ThrowIfFailed(env, Live(env).channel().Arm(static_cast<uint32_t>(ToU64(info[0]))));
  return env.Undefined();
}

Napi::Value FrameCore::Disarm(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  ThrowIfFailed(env, Live(env).channel().Disarm(static_cast<uint32_t>(ToU64(info[0]))));
  return env.Undefined();
}

Napi::Value FrameCore::ReclaimDead(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  uint32_t reclaimed = 0;
  ThrowIfFailed(env, Live(env).channel().ReclaimDead(&reclaimed));
  return Num(env, reclaimed);
}

Napi::Value FrameCore::Close(const Napi::CallbackInfo& info) {
  Release();
  return info.Env().Undefined();
}

Napi::Object FrameConstants(Napi::Env env) {
  Napi::Object o = Napi::Object::New(env);
  o.Set("metaBytes", Num(env, frames::kMetaBytes));
  o.Set("maxSlots", Num(env, frames::kMaxSlots));
  o.Set("maxEndpoints", Num(env, frames::kMaxEndpoints));
  o.Set("headerBytes", Num(env, frames::HeaderBytes()));
  o.Set("wakeForFrames", Num(env, frames::kWantFrames));
  o.Set("wakeForSpace", Num(env, frames::kWantSpace));
  Napi::Array policies = Napi::Array::New(env);
  for (const char* name : frames::kPolicyNames) policies.Set(policies.Length(), Napi::String::New(env, name));
  policies.Freeze();
  o.Set("policies", policies);
  o.Freeze();
  return o;
}

}  // namespace eshm
