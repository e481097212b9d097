// The frame channel's control protocol: a header at the start of one shared
// map that lets one publisher and any number of subscribers, in any
// processes, pass frames through a fixed set of slots without copying them
// and without locks (design.md, decision 4; docs/frame-channel.md).
//
// The header holds plain atomics only, so every process that maps the memory
// runs the same protocol on it:
// - A slot's `seq` is the sequence number of the frame it holds, or kBusy|q
//   while the publisher writes frame q into it. Readers only take committed
//   frames, so no frame is ever seen half-written.
// - A subscriber holds a lease on a slot by setting the slot's bit in its
//   `leases` word; the publisher never writes into a slot any subscriber
//   holds. Lease and loan are checked Dekker-style (each side writes, then
//   reads the other's word, all sequentially consistent), so at least one of
//   them sees the other.
// - An endpoint is one open channel in one process: its owner's identity
//   (pid and start time), so that a dead owner's subscribers and leases can
//   be reclaimed, and the wake requests it has armed. Each endpoint has an
//   eventfd; the publisher writes it only when the endpoint armed a request.
#pragma once

#include <atomic>
#include <cstdint>
#include <vector>

#include "core/process_identity.h"
#include "core/status.h"

namespace eshm {
namespace frames {

constexpr uint32_t kMaxSlots = 64;
constexpr uint32_t kMaxEndpoints = 64;
constexpr uint32_t kMaxSubscribers = 64;
// Per slot, after the frame: bytes the publisher fills as it likes.
constexpr uint32_t kMetaBytes = 64;

enum Policy : uint32_t {
  kLatest = 0,  // subscribers see the newest frame; the publisher never waits
  kQueue = 1,   // subscribers see every frame in order; the publisher waits for the slowest
};

// What an endpoint asks to be woken for (bits of Endpoint::armed).
enum WakeRequest : uint32_t {
  kWantFrames = 1,  // a subscriber of this endpoint waits for a frame
  kWantSpace = 2,   // the publisher of this endpoint waits for a free slot
};

// Where things are in the map. Chosen by the creator; checked by importers.
struct Geometry {
  uint32_t width = 0;
  uint32_t height = 0;
  uint32_t format = 0;  // the TypeScript layer's pixel format code
  uint32_t policy = kLatest;
  uint32_t slots = 0;
  uint32_t endpoints = 0;
  uint64_t frame_size = 0;    // bytes of one frame's pixels
  uint64_t slot_size = 0;     // bytes from one slot to the next (page multiple)
  uint64_t slots_offset = 0;  // where slot 0 starts (page multiple)
};

struct alignas(64) SlotControl {
  std::atomic<uint64_t> seq;        // 0: empty; q: frame q; kBusy | q: being written
  std::atomic<uint64_t> timestamp;  // of the frame in it, in ns
};

struct alignas(64) Endpoint {
  std::atomic<ProcessIdentity> owner;  // 0: free; kReclaiming: being freed
  std::atomic<uint32_t> armed;         // WakeRequest bits
};

struct alignas(64) SubscriberEntry {
  // 0: free; else (endpoint + 1), with kActive once the publisher must
  // respect it. One word, so that a half-made entry still names its owner.
  std::atomic<uint32_t> owner;
  std::atomic<uint64_t> leases;     // bit i: holds slot i
  std::atomic<uint64_t> cursor;     // queue: the next sequence it takes
  std::atomic<uint64_t> last_seen;  // latest: the last sequence it took
};

struct Header {
  uint64_t magic;
  uint32_t version;
  uint32_t header_bytes;
  Geometry geometry;
  alignas(64) std::atomic<uint64_t> published;  // (seq << 8) | slot of the newest frame; 0: none yet
  std::atomic<ProcessIdentity> publisher;       // 0: none
  std::atomic<uint32_t> publisher_epoch;        // publishers so far
  std::atomic<uint32_t> publisher_closed;       // the last one closed (rather than died)
  SlotControl slot[kMaxSlots];
  Endpoint endpoint[kMaxEndpoints];
  SubscriberEntry subscriber[kMaxSubscribers];
};

// Bytes the header takes at the start of the map: a page multiple.
uint64_t HeaderBytes();

struct ReceivedFrame {
  uint32_t slot = 0;
  uint64_t seq = 0;
  uint64_t timestamp = 0;
  uint64_t skipped = 0;  // queue: frames lost before this one (never, unless a peer broke the protocol)
};

struct Loan {
  uint32_t slot = 0;
  uint64_t seq = 0;
};

struct PublisherInfo {
  ProcessIdentity identity = 0;  // 0: none now
  uint32_t epoch = 0;            // 0: there never was one
  bool closed = false;           // the last one closed rather than died
};

// One process's view of a channel: the header, and the endpoints' eventfds
// (borrowed; the caller keeps them open while this object is used).
class Channel {
 public:
  Channel(Header* header, std::vector<int> wake_fds) : h_(header), wake_fds_(std::move(wake_fds)) {}

  // Writes a fresh header; the memory must be zeroed.
  static void Init(Header* header, const Geometry& geometry);
  // Checks that `header` is a channel's, laid out for a map of `map_size`
  // bytes with `wake_fds` endpoints. ERR_HANDLE_INVALID if not.
  static Status Check(const Header* header, uint64_t map_size, size_t wake_fds);

  const Geometry& geometry() const { return h_->geometry; }

  // An endpoint for this process. ERR_CHANNEL_FULL when all are taken by
  // live processes.
  Status ClaimEndpoint(uint32_t* endpoint);
  // Frees the endpoint, with its subscribers and their leases.
  void ReleaseEndpoint(uint32_t endpoint);

  // Makes this process the publisher. ERR_PUBLISHER_EXISTS while another
  // live one is.
  Status ClaimPublisher();
  // Gives the channel up, if this process is its publisher; subscribers
  // waiting are woken to learn it.
  void ReleasePublisher();
  PublisherInfo Publisher() const;

  // A new subscriber of `endpoint`. ERR_CHANNEL_FULL when there is no room.
  Status AddSubscriber(uint32_t endpoint, uint32_t* subscriber);
  void RemoveSubscriber(uint32_t subscriber);
  // The next frame for this subscriber, leased, or false when none is new.
  bool Receive(uint32_t subscriber, ReceivedFrame* out);
  void ReleaseLease(uint32_t subscriber, uint32_t slot);

  // A slot the publisher may write the next frame into. ERR_NO_FREE_SLOT
  // when subscribers hold or (queue) have not yet read them all, after
  // reclaiming those of dead processes.
  Status LoanSlot(Loan* out);
  void Send(const Loan& loan, uint64_t timestamp);
  void Abandon(const Loan& loan);

  // Asks to be woken (the endpoint's eventfd is written) for `requests`.
  void Arm(uint32_t endpoint, uint32_t requests);
  void Disarm(uint32_t endpoint, uint32_t requests);

  // Frees the endpoints (and subscribers, leases, publisher role) of
  // processes that have died. Returns how many.
  uint32_t ReclaimDead();

 private:
  // attempt(), and once more if that failed and dead processes were reclaimed.
  template <typename Attempt>
  bool AgainAfterReclaiming(Attempt attempt);
  bool TryLoanQueue(Loan* out);
  bool TryLoanLatest(Loan* out);
  uint64_t LeasedSlots() const;
  void WakeArmed(uint32_t requests);
  void ClearSubscribersOf(uint32_t endpoint);

  Header* h_;
  std::vector<int> wake_fds_;
};

}  // namespace frames
}  // namespace eshm
