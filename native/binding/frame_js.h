// FrameCore: one process's handle on a frame channel's control protocol,
// over the core's OpenChannel (core/open_channel.h), which remembers what
// this process holds (endpoint, publisher role, subscribers), so that
// close() or collection gives all of it back. Here only the descriptors it
// hands out are put in, and taken out of, the wake watcher. Pixels are
// mapped by TypeScript as ordinary zero-copy views.
#pragma once

#include <napi.h>

#include <memory>
#include <vector>

#include "core/open_channel.h"

namespace eshm {

class FrameCore : public Napi::ObjectWrap<FrameCore> {
 public:
  static Napi::Function DefineClass(Napi::Env env);
  explicit FrameCore(const Napi::CallbackInfo& info);
  ~FrameCore() override;

  // The wake sockets, to export with the memory; throws ERR_CLOSED.
  std::vector<int> WakeFds(Napi::Env env) const;

  // createFrameCore(file, geometry, mapSize) and openFrameCore(file, mapSize).
  static Napi::Value Create(const Napi::CallbackInfo& info);
  static Napi::Value Open(const Napi::CallbackInfo& info);

 private:
  Napi::Value Geometry(const Napi::CallbackInfo& info);
  Napi::Value Join(const Napi::CallbackInfo& info);
  Napi::Value ClaimPublisher(const Napi::CallbackInfo& info);
  Napi::Value ReleasePublisher(const Napi::CallbackInfo& info);
  Napi::Value PublisherState(const Napi::CallbackInfo& info);
  Napi::Value AddSubscriber(const Napi::CallbackInfo& info);
  Napi::Value RemoveSubscriber(const Napi::CallbackInfo& info);
  Napi::Value Receive(const Napi::CallbackInfo& info);
  Napi::Value ReleaseLease(const Napi::CallbackInfo& info);
  Napi::Value Loan(const Napi::CallbackInfo& info);
  Napi::Value Send(const Napi::CallbackInfo& info);
  Napi::Value Abandon(const Napi::CallbackInfo& info);
  Napi::Value Arm(const Napi::CallbackInfo& info);
  Napi::Value Disarm(const Napi::CallbackInfo& info);
  Napi::Value ReclaimDead(const Napi::CallbackInfo& info);
  Napi::Value Close(const Napi::CallbackInfo& info);

  // A new FrameCore object holding `open`.
  static Napi::Object Wrap(Napi::Env env, std::unique_ptr<frames::OpenChannel> open);
  // The open channel, or throws ERR_CLOSED.
  frames::OpenChannel& Live(Napi::Env env) const;
  void Release();

  napi_env env_ = nullptr;
  std::unique_ptr<frames::OpenChannel> open_;
};

// The frame channel's constants (core/frame_channel.h), for TypeScript:
// { metaBytes, maxSlots, maxEndpoints, headerBytes, wakeForFrames,
// wakeForSpace, policies }.
Napi::Object FrameConstants(Napi::Env env);

}  // namespace eshm
