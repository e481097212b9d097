#include "binding/frame_js.h"

#include <poll.h>
#include <sys/mman.h>

#include "binding/addon_data.h"
#include "binding/convert.h"
#include "binding/errors_js.h"
#include "binding/file_wrap.h"
#include "binding/watcher_js.h"
#include "core/wake_socket.h"

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

void Check(Napi::Env env, const Status& s) {
  if (!s.ok()) ThrowStatus(env, s);
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

// createFrameCore(file, geometry, mapSize) -> FrameCore: writes a new header into the
// (zeroed) memory and makes one wake socket pair per endpoint.
Napi::Value FrameCore::Create(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  SharedFile* file = Napi::ObjectWrap<SharedFile>::Unwrap(info[0].As<Napi::Object>());
  frames::Geometry geometry = GeometryFrom(info[1].As<Napi::Object>());
  // Receive and send end of each endpoint's wake socket pair, in turn.
  std::vector<UniqueFd> wake(2 * static_cast<size_t>(geometry.endpoints));
  for (size_t e = 0; e < geometry.endpoints; ++e) Check(env, CreateWakePair(&wake[2 * e], &wake[2 * e + 1]));
  uint64_t map_size = ToU64(info[2]);
  Napi::Object object = Data(env).frame_core_class.New({});
  FrameCore* core = Unwrap(object);
  core->Attach(env, file->Fd(env), std::move(wake));
  frames::Channel::Init(static_cast<frames::Header*>(core->header_), geometry);
  // The creator's geometry passes the check every importer makes.
  core->Open(env, map_size);
  return object;
}

// openFrameCore(file, mapSize) -> FrameCore: checks an imported channel's
// header and takes the wake sockets that came with it from `file`.
Napi::Value FrameCore::Open(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  SharedFile* file = Napi::ObjectWrap<SharedFile>::Unwrap(info[0].As<Napi::Object>());
  uint64_t map_size = ToU64(info[1]);
  if (map_size < frames::HeaderBytes()) {
    ThrowStatus(env, Status::Own("ERR_HANDLE_INVALID", "the memory is too small to be a frame channel"));
  }
  Napi::Object object = Data(env).frame_core_class.New({});
  FrameCore* core = Unwrap(object);
  core->Attach(env, file->Fd(env), file->TakeCompanions());
  core->Open(env, map_size);
  return object;
}

// Reads and checks the mapped header's geometry, once: the channel keeps
// that copy and never trusts the shared one again.
void FrameCore::Open(Napi::Env env, uint64_t map_size) {
  frames::Geometry geometry;
  Status s = wake_.size() % 2 == 0
                 ? frames::ReadGeometry(static_cast<frames::Header*>(header_), map_size, wake_.size() / 2, &geometry)
                 : Status::Own("ERR_HANDLE_INVALID", "the frame channel came without its wake descriptors");
  for (size_t i = 0; s.ok() && i < wake_.size(); ++i) s = CheckWakeSocket(wake_[i].get());
  if (!s.ok()) {
    Release();
    ThrowStatus(env, s);
  }
  // Wakers send on the second end of each pair.
  std::vector<int> fds;
  for (size_t e = 0; e < geometry.endpoints; ++e) fds.push_back(wake_[2 * e + 1].get());
  channel_ = std::make_unique<frames::Channel>(static_cast<frames::Header*>(header_), geometry, std::move(fds));
}

void FrameCore::Attach(Napi::Env env, int fd, std::vector<UniqueFd> wake) {
  void* header = mmap(nullptr, frames::HeaderBytes(), PROT_READ | PROT_WRITE, MAP_SHARED | MAP_POPULATE, fd, 0);
  if (header == MAP_FAILED) ThrowStatus(env, Status::Sys("mmap"));
  header_ = header;
  wake_ = std::move(wake);
}

void FrameCore::Release() {
  if (header_ == nullptr) return;
  if (channel_ != nullptr) {
    channel_->ReleasePublisher();
    // Subscribers exist only with an endpoint, whose release frees them too.
    if (endpoint_ >= 0) {
      UnwatchFd(Napi::Env(env_), wake_[2 * endpoint_].get());
      channel_->ReleaseEndpoint();
    }
  }
  if (publisher_pidfd_.valid()) UnwatchFd(Napi::Env(env_), publisher_pidfd_.get());
  channel_.reset();
  munmap(header_, frames::HeaderBytes());
  header_ = nullptr;
  wake_.clear();
  publisher_pidfd_.reset();
  endpoint_ = -1;
}

frames::Channel& FrameCore::Channel(Napi::Env env) const {
  if (channel_ == nullptr) ThrowStatus(env, Status::Own("ERR_CLOSED", "the frame channel is closed"));
  return *channel_;
}

std::vector<int> FrameCore::WakeFds(Napi::Env env) const {
  Channel(env);
  std::vector<int> fds;
  for (const UniqueFd& w : wake_) fds.push_back(w.get());
  return fds;
}

Napi::Value FrameCore::Geometry(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  const frames::Geometry& g = Channel(env).geometry();
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
  if (endpoint_ >= 0) return env.Undefined();
  uint32_t endpoint = 0;
  Check(env, Channel(env).ClaimEndpoint(&endpoint));
  try {
    WatchFd(env, wake_[2 * endpoint].get(), static_cast<uint32_t>(ToU64(info[0])), true);
  } catch (...) {
    channel_->ReleaseEndpoint();
    throw;
  }
  endpoint_ = static_cast<int>(endpoint);
  return env.Undefined();
}

Napi::Value FrameCore::ClaimPublisher(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  Check(env, Channel(env).ClaimPublisher());
  return env.Undefined();
}

Napi::Value FrameCore::ReleasePublisher(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  Channel(env).ReleasePublisher();
  return env.Undefined();
}

// publisherState(watchToken?) -> 'none' | 'alive' | 'closed' | 'crashed'.
// With a token, a live publisher of another process is watched: its pidfd
// reports the token when it exits.
Napi::Value FrameCore::PublisherState(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  frames::PublisherInfo p;
  Check(env, Channel(env).Publisher(&p));
  auto state = [&](const char* s) { return Napi::String::New(env, s); };
  if (p.identity == 0) return state(p.epoch == 0 ? "none" : p.closed ? "closed" : "crashed");
  if (p.identity == SelfIdentity()) return state("alive");
  if (watched_publisher_ == p.identity && publisher_pidfd_.valid()) {
    pollfd pfd{publisher_pidfd_.get(), POLLIN, 0};
    return state(poll(&pfd, 1, 0) > 0 ? "crashed" : "alive");
  }
  if (!info[0].IsNumber()) return state(IsAlive(p.identity) ? "alive" : "crashed");
  if (publisher_pidfd_.valid()) UnwatchFd(env, publisher_pidfd_.get());
  publisher_pidfd_.reset();
  watched_publisher_ = 0;
  UniqueFd pidfd;
  Status s = OpenPidfd(p.identity, &pidfd);
  // The identity was read from shared memory, which any peer may write: a
  // pid it cannot watch (gone, a thread's, none) is no error of this
  // process. Unwatched, a live publisher's exit is still seen by the
  // waits' periodic look (RECHECK_MS).
  if (!s.ok()) return state(IsAlive(p.identity) ? "alive" : "crashed");
  WatchFd(env, pidfd.get(), static_cast<uint32_t>(ToU64(info[0])), false);
  publisher_pidfd_ = std::move(pidfd);
  watched_publisher_ = p.identity;
  return state("alive");
}

Napi::Value FrameCore::AddSubscriber(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  uint32_t subscriber = 0;
  Check(env, Channel(env).AddSubscriber(&subscriber));
  return Num(env, subscriber);
}

Napi::Value FrameCore::RemoveSubscriber(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  Channel(env).RemoveSubscriber(static_cast<uint32_t>(ToU64(info[0])));
  return env.Undefined();
}

// receive(subscriber) -> { slot, sequence, timestamp: bigint, skipped } | null
Napi::Value FrameCore::Receive(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  frames::ReceivedFrame f;
  bool got = false;
  Check(env, Channel(env).Receive(static_cast<uint32_t>(ToU64(info[0])), &f, &got));
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
  Check(env, Channel(env).ReleaseLease(static_cast<uint32_t>(ToU64(info[0])), static_cast<uint32_t>(ToU64(info[1]))));
  return env.Undefined();
}

// loan() -> { slot, sequence }, or throws ERR_NO_FREE_SLOT
Napi::Value FrameCore::Loan(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  frames::Loan loan;
  Check(env, Channel(env).LoanSlot(&loan));
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
  Check(env, Channel(env).Send(loan, info[2].As<Napi::BigInt>().Uint64Value(&lossless)));
  return env.Undefined();
}

// abandon(slot, sequence)
Napi::Value FrameCore::Abandon(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  Check(env, Channel(env).Abandon(frames::Loan{static_cast<uint32_t>(ToU64(info[0])), ToU64(info[1])}));
  return env.Undefined();
}

// arm(requests) / disarm(requests): WakeRequest bits of this endpoint
Napi::Value FrameCore::Arm(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  Check(env, Channel(env).Arm(static_cast<uint32_t>(ToU64(info[0]))));
  return env.Undefined();
}

Napi::Value FrameCore::Disarm(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  Check(env, Channel(env).Disarm(static_cast<uint32_t>(ToU64(info[0]))));
  return env.Undefined();
}

Napi::Value FrameCore::ReclaimDead(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  uint32_t reclaimed = 0;
  Check(env, Channel(env).ReclaimDead(&reclaimed));
  return Num(env, reclaimed);
}

Napi::Value FrameCore::Close(const Napi::CallbackInfo& info) {
  Release();
  return info.Env().Undefined();
}

}  // namespace eshm
