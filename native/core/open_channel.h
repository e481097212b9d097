// One process's open frame channel: the header mapped for this process
// alone (outside any JavaScript buffer), the endpoints' wake sockets, the
// Channel over them (core/frame_channel.h), this process's endpoint and the
// watch of another process's publisher (a pidfd). It never waits and knows
// no event loop: the descriptors to watch it hands to its caller (Join,
// Publisher), who must stop watching them (WatchedFds) before destroying
// it, since destroying it closes them. Linux implementation in
// open_channel_linux.cc.
#pragma once

#include <cstdint>
#include <memory>
#include <vector>

#include "core/frame_channel.h"
#include "core/process_identity.h"
#include "core/status.h"
#include "core/unique_fd.h"

namespace eshm {
namespace frames {

enum class PublisherState {
  kNone,     // there never was one
  kAlive,
  kClosed,   // the last one closed the channel
  kCrashed,  // the last one died without closing it
};

// How Publisher changed the watch of the publisher's exit.
struct PublisherWatch {
  // The former publisher's pidfd, no longer this object's: stop watching
  // it, then let it close.
  UniqueFd retired;
  // A pidfd to watch, readable once the publisher exits; -1 for none.
  int started = -1;
};

class OpenChannel {
 public:
  // A new channel in the memory of `fd` (zeroed, `map_size` bytes): writes
  // its header and makes one wake socket pair per endpoint. Errors of
  // socketpair and mmap, or ERR_HANDLE_INVALID for a geometry an importer
  // would refuse.
  static Status Create(int fd, const Geometry& geometry, uint64_t map_size, std::unique_ptr<OpenChannel>* out);
  // A channel another process made: checks the header in the memory of
  // `fd` (`map_size` bytes) and takes `wake`, the descriptors that came
  // with it (receive and send end of each endpoint's pair, in turn). The
  // error of mmap, or ERR_HANDLE_INVALID for a header or descriptors that
  // are not a channel's.
  static Status Import(int fd, std::vector<UniqueFd> wake, uint64_t map_size, std::unique_ptr<OpenChannel>* out);

  // Gives up the publisher role and the endpoint, unmaps the header and
  // closes every descriptor.
  ~OpenChannel();
  OpenChannel(const OpenChannel&) = delete;
  OpenChannel& operator=(const OpenChannel&) = delete;

  Channel& channel() { return *channel_; }

  // Every wake descriptor, to export with the memory.
  std::vector<int> WakeFds() const;

  bool joined() const { return endpoint_ >= 0; }
  // Takes an endpoint for this process (once): *wake_fd is its wake
  // socket's receive end, to watch and drain. ERR_CHANNEL_FULL when every
  // endpoint is taken by a live process.
  Status Join(int* wake_fd);
  // Gives the endpoint back: when Join's descriptor could not be watched.
  void Leave();

  // Whether the channel's publisher is alive, closed or crashed. With
  // `watch`, a live publisher of another process that is not watched yet
  // gets watched: *change says which pidfd to watch and which to stop
  // watching. Fails only when the channel is corrupt.
  Status Publisher(bool watch, PublisherState* out, PublisherWatch* change);
  // Drops the watch Publisher started: when its pidfd could not be watched.
  void StopWatchingPublisher();

  // The descriptors Join and Publisher handed out that this object still
  // holds, to stop watching before it is destroyed.
  std::vector<int> WatchedFds() const;

 private:
  OpenChannel(void* header, std::vector<UniqueFd> wake);
  // The object over a mapped header, once its geometry and wake sockets
  // are checked; unmaps the header on error.
  static Status Attach(void* header, std::vector<UniqueFd> wake, uint64_t map_size, std::unique_ptr<OpenChannel>* out);
  // A publisher of another process, alive now.
  PublisherState OtherPublisher(ProcessIdentity identity, bool watch, PublisherWatch* change);

  void* header_;
  std::vector<UniqueFd> wake_;
  std::unique_ptr<Channel> channel_;
  int endpoint_ = -1;
  UniqueFd publisher_pidfd_;
  ProcessIdentity watched_publisher_ = 0;
};

}  // namespace frames
}  // namespace eshm
