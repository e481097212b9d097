// The frame channel's control protocol: a header at the start of one shared
// map that lets one publisher and any number of subscribers, in any
// processes, pass frames through a fixed set of slots without copying them
// and without locks (docs/frame-channel.md).
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
//   be reclaimed, and the wake requests it has armed. Each endpoint has a
//   wake socket (core/wake_socket.h); the publisher sends on it only when the
//   endpoint armed a request.
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
// Each policy's name in the JavaScript API (FramePolicy of
// main/lib/frame-channel.ts), indexed by Policy.
constexpr const char* kPolicyNames[] = {"latest", "queue"};
static_assert(sizeof kPolicyNames / sizeof kPolicyNames[0] == kQueue + 1, "a name for each policy");

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

// OK if a map of `map_size` bytes can hold a header, else
// ERR_HANDLE_INVALID: checked before the header is mapped, since a read
// past the end of the memory faults (SIGBUS).
Status CheckHeaderFits(uint64_t map_size);

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

// Reads the fixed part of a header once (another process may be writing it
// as we read) and checks it: laid out for a map of `map_size` bytes with
// `wake_fds` endpoints. *out is this process's own copy of the geometry,
// the only one it ever trusts. ERR_HANDLE_INVALID if the header is not a
// channel's. Takes any bytes: nothing in them is trusted.
Status ReadGeometry(const Header* header, uint64_t map_size, size_t wake_fds, Geometry* out);

// Sequence numbers stay below 2^53, so that JavaScript holds them exactly.
constexpr uint64_t kMaxSequence = (1ull << 53) - 1;

// One process's use of a channel: the header, the endpoints' wake sockets
// (borrowed; the caller keeps them open while this object is used), and what
// this process holds in the channel (its endpoint, the publisher role, its
// subscribers, its loan), kept here, privately.
//
// Every other process that maps the channel may be buggy or hostile, so
// everything read from the shared header is untrusted input: the geometry is
// this process's own copy; indexes, counts, sequence numbers and process
// identities read from shared memory are bounds-checked before use; every
// loop is bounded; wakes go only to the wake sockets this object was given. When
// the header shows that another process broke the protocol (the fixed part
// changed, this process's own entries were overwritten, an index is out of
// range), the channel is corrupt for this process for good: every operation
// but the releases fails with ERR_CHANNEL_CORRUPT.
class Channel {
 public:
  // `geometry` comes from Init's caller or from ReadGeometry; `wake_fds` has
  // the send end of each endpoint's wake socket pair.
  Channel(Header* header, const Geometry& geometry, std::vector<int> wake_fds);

  // Writes a fresh header; the memory must be zeroed.
  static void Init(Header* header, const Geometry& geometry);

  const Geometry& geometry() const { return g_; }

  // An endpoint for this process, once per Channel. ERR_CHANNEL_FULL when
  // all are taken by live processes.
  Status ClaimEndpoint(uint32_t* endpoint);
  // Frees this process's endpoint, with its subscribers and their leases.
  void ReleaseEndpoint();

  // Makes this process the publisher. ERR_PUBLISHER_EXISTS while another
  // live one is.
  Status ClaimPublisher();
  // Gives the channel up, if this process is its publisher (dropping its
  // loan); subscribers waiting are woken to learn it.
  void ReleasePublisher();
  Status Publisher(PublisherInfo* out);

  // A new subscriber of this process's endpoint. ERR_CHANNEL_FULL when there
  // is no room.
  Status AddSubscriber(uint32_t* subscriber);
  void RemoveSubscriber(uint32_t subscriber);
  // The next frame for one of this process's subscribers, leased; *got is
  // false when none is new.
  Status Receive(uint32_t subscriber, ReceivedFrame* out, bool* got);
  Status ReleaseLease(uint32_t subscriber, uint32_t slot);

  // A slot the publisher may write the next frame into. ERR_NO_FREE_SLOT
  // when subscribers hold or (queue) have not yet read them all, after
  // reclaiming those of dead processes. One loan at a time.
  Status LoanSlot(Loan* out);
  // Publishes, or gives back unsent, the loan `loan` (LoanSlot's).
  Status Send(const Loan& loan, uint64_t timestamp);
  Status Abandon(const Loan& loan);

  // Asks to be woken (a byte sent to this endpoint's wake socket) for `requests`.
  Status Arm(uint32_t requests);
  Status Disarm(uint32_t requests);

  // Frees the endpoints (and subscribers, leases, publisher role) of
  // processes that have died. Returns how many.
  Status ReclaimDead(uint32_t* reclaimed);

  // OK, or ERR_CHANNEL_CORRUPT if the header shows a broken protocol.
  Status Intact();

 private:
  // attempt(), and once more if that failed and dead processes were reclaimed.
  template <typename Attempt>
  bool AgainAfterReclaiming(Attempt attempt);
  Status Corrupt(const char* what);
  // Learns this process's identity (self_), once: an error when it cannot.
  Status KnowSelf();
  bool OwnsSubscriber(uint32_t subscriber) const;
  bool HasLoan(const Loan& loan) const;
  bool TryLoanQueue(Loan* out);
  bool TryLoanLatest(Loan* out);
  Status ReceiveQueue(uint32_t subscriber, ReceivedFrame* out, bool* got);
  Status ReceiveLatest(uint32_t subscriber, ReceivedFrame* out, bool* got);
  // Leases `slot` if it still holds frame `seq`, and describes that frame
  // in *out; false, holding nothing, if the publisher took the slot back.
  bool LeaseFrame(SubscriberEntry& entry, uint32_t slot, uint64_t seq, ReceivedFrame* out);
  uint64_t LeasedSlots() const;
  uint32_t Reclaim();
  void WakeArmed(uint32_t requests);
  void ClearSubscribersOf(uint32_t endpoint);

  Header* h_;
  const Geometry g_;
  const std::vector<int> wake_fds_;
  const uint64_t slot_mask_;     // a bit for each slot
  ProcessIdentity self_ = 0;     // this process, once it joined or publishes
  int endpoint_ = -1;            // this process's, or -1
  bool publisher_ = false;       // this process is the publisher
  uint64_t published_ = 0;       // publisher: `published` as it last wrote or found it
  bool loaned_ = false;          // publisher: a loan is out
  Loan loan_;
  uint64_t subscribers_ = 0;     // bit i: subscriber entry i is this process's
  uint64_t next_[kMaxSubscribers] = {};  // per own subscriber: queue, the next sequence; latest, the last taken
  const char* corrupt_ = nullptr;  // what showed the channel corrupt, for good
};

}  // namespace frames
}  // namespace eshm
