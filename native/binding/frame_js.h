// FrameCore: one process's handle on a frame channel's control protocol
// (core/frame_channel.h). It maps the channel's header for itself, outside
// any JavaScript buffer, and owns the endpoints' wake sockets; its Channel
// remembers what this process holds (endpoint, publisher role, subscribers),
// so that close() or collection gives all of it back. Pixels are mapped by TypeScript as
// ordinary zero-copy views.
#pragma once

#include <napi.h>

#include <memory>
#include <vector>

#include "core/frame_channel.h"
#include "core/unique_fd.h"

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

  // Maps the header of `fd` and takes `wake` as the endpoints' wake sockets
  // (receive and send end of each, in turn).
  void Attach(Napi::Env env, int fd, std::vector<UniqueFd> wake);
  void Open(Napi::Env env, uint64_t map_size);
  frames::Channel& Channel(Napi::Env env) const;
  void Release();

  napi_env env_ = nullptr;
  void* header_ = nullptr;
  std::vector<UniqueFd> wake_;
  std::unique_ptr<frames::Channel> channel_;
  int endpoint_ = -1;  // whose wake socket is watched
  UniqueFd publisher_pidfd_;
  ProcessIdentity watched_publisher_ = 0;
};

}  // namespace eshm
