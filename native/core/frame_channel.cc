#include "core/frame_channel.h"

#include <unistd.h>

#include <cstddef>
#include <cstring>

#include "core/mapping.h"
#include "core/wake_socket.h"

namespace eshm {
namespace frames {
namespace {

constexpr uint64_t kMagic = 0x314d52464d485345ull;  // "ESHMFRM1", little-endian
constexpr uint32_t kVersion = 1;
constexpr uint64_t kBusy = 1ull << 63;
constexpr ProcessIdentity kReclaiming = ~0ull;
constexpr uint32_t kActive = 1u << 16;
constexpr uint32_t kOwnerMask = kActive - 1;

static_assert(std::atomic<uint64_t>::is_always_lock_free, "shared atomics must be lock-free");
static_assert(std::atomic<uint32_t>::is_always_lock_free, "shared atomics must be lock-free");
static_assert(kMaxSlots <= 64 && kMaxSubscribers <= 64, "a slot, or a subscriber, is one bit of a word");
static_assert(kMaxSequence < (1ull << 55), "a packed `published` holds a sequence number and a slot");

uint64_t Bit(uint32_t i) { return 1ull << i; }

uint64_t Pack(uint64_t seq, uint32_t slot) { return (seq << 8) | slot; }
uint64_t SeqOf(uint64_t published) { return published >> 8; }
uint32_t SlotOf(uint64_t published) { return static_cast<uint32_t>(published & 0xff); }

// The part of the header written once, by the creator, before the magic.
struct FixedPart {
  uint64_t magic;
  uint32_t version;
  uint32_t header_bytes;
  Geometry geometry;
};
static_assert(offsetof(Header, magic) == offsetof(FixedPart, magic) &&
                  offsetof(Header, geometry) == offsetof(FixedPart, geometry),
              "FixedPart mirrors the start of Header");

// One read of the fixed part into private memory. Another process may write
// it meanwhile: whatever bytes arrive are checked as they are in the copy.
FixedPart ReadFixed(const Header* h) {
  FixedPart fixed;
  std::memcpy(&fixed, static_cast<const void*>(h), sizeof fixed);
  return fixed;
}

bool SameGeometry(const Geometry& a, const Geometry& b) {
  return a.width == b.width && a.height == b.height && a.format == b.format && a.policy == b.policy &&
         a.slots == b.slots && a.endpoints == b.endpoints && a.frame_size == b.frame_size &&
         a.slot_size == b.slot_size && a.slots_offset == b.slots_offset;
}

}  // namespace

uint64_t HeaderBytes() { return RoundUpToPage(sizeof(Header)); }

Status CheckHeaderFits(uint64_t map_size) {
  if (map_size >= HeaderBytes()) return Status::Ok();
  return Status::Own("ERR_HANDLE_INVALID", "The memory is too small to be a frame channel");
}

Status ReadGeometry(const Header* h, uint64_t map_size, size_t wake_fds, Geometry* out) {
  auto invalid = [](const char* why) { return Status::Own("ERR_HANDLE_INVALID", why); };
  Status fits_header = CheckHeaderFits(map_size);
  if (!fits_header.ok()) return fits_header;
  const FixedPart fixed = ReadFixed(h);
  if (fixed.magic != kMagic) return invalid("The memory is not a frame channel");
  if (fixed.version != kVersion) return invalid("The frame channel has a layout version this module does not know");
  const Geometry& g = fixed.geometry;
  // Written so that no product or sum can overflow.
  const bool fits = fixed.header_bytes == HeaderBytes() && g.slots >= 2 && g.slots <= kMaxSlots &&
                    g.endpoints >= 1 && g.endpoints <= kMaxEndpoints && g.policy <= kQueue &&
                    g.slots_offset >= HeaderBytes() && g.slots_offset <= map_size &&
                    g.slot_size >= kMetaBytes && g.frame_size <= g.slot_size - kMetaBytes &&
                    g.slot_size <= (map_size - g.slots_offset) / g.slots;
  if (!fits) return invalid("The frame channel's header is inconsistent with its size");
  if (g.endpoints != wake_fds) return invalid("The frame channel came without its wake descriptors");
  *out = g;
  return Status::Ok();
}

Channel::Channel(Header* header, const Geometry& geometry, std::vector<int> wake_fds)
    : h_(header),
      g_(geometry),
      wake_fds_(std::move(wake_fds)),
      slot_mask_(g_.slots >= 64 ? ~0ull : Bit(g_.slots) - 1) {
  // ReadGeometry (or the creator) guarantees these; a caller that broke them
  // would make every index below unsafe.
  if (g_.slots < 2 || g_.slots > kMaxSlots || g_.endpoints > kMaxEndpoints || wake_fds_.size() != g_.endpoints) {
    corrupt_ = "the channel was opened with a geometry that was not checked";
  }
}

void Channel::Init(Header* h, const Geometry& geometry) {
  h->version = kVersion;
  h->header_bytes = static_cast<uint32_t>(HeaderBytes());
  h->geometry = geometry;
  // Importers check the magic last written, so they see the rest.
  std::atomic_thread_fence(std::memory_order_release);
  h->magic = kMagic;
}

Status Channel::Corrupt(const char* what) {
  if (corrupt_ == nullptr) corrupt_ = what;
  return Status::Own("ERR_CHANNEL_CORRUPT",
                     std::string("Another process broke the frame channel's protocol (") + corrupt_ +
                         "): this channel cannot be used any more in this process; close it");
}

Status Channel::Intact() {
  if (corrupt_ != nullptr) return Corrupt(corrupt_);
  const FixedPart fixed = ReadFixed(h_);
  if (fixed.magic != kMagic || fixed.version != kVersion || fixed.header_bytes != HeaderBytes() ||
      !SameGeometry(fixed.geometry, g_)) {
    return Corrupt("its fixed header was overwritten");
  }
  if (endpoint_ >= 0 && h_->endpoint[endpoint_].owner.load() != self_) {
    return Corrupt("this process's endpoint was taken over");
  }
  for (uint32_t i = 0; i < kMaxSubscribers; ++i) {
    if ((subscribers_ & Bit(i)) && h_->subscriber[i].owner.load() != ((endpoint_ + 1) | kActive)) {
      return Corrupt("a subscriber of this process was taken over");
    }
  }
  if (publisher_ && (h_->publisher.load() != self_ || h_->published.load() != published_)) {
    return Corrupt("the publisher's own words were overwritten");
  }
  return Status::Ok();
}

Status Channel::KnowSelf() {
  if (self_ == 0) self_ = SelfIdentity();
  if (self_ != 0) return Status::Ok();
  // Only when /proc/self/stat could not be read: no descriptor free.
  return Status::Sys("open", errno != 0 ? errno : EIO, "This process could not read its own start time (/proc/self/stat)");
}

bool Channel::OwnsSubscriber(uint32_t subscriber) const {
  return subscriber < kMaxSubscribers && (subscribers_ & Bit(subscriber)) != 0;
}

bool Channel::HasLoan(const Loan& loan) const {
  return publisher_ && loaned_ && loan.slot == loan_.slot && loan.seq == loan_.seq;
}

template <typename Attempt>
bool Channel::AgainAfterReclaiming(Attempt attempt) {
  return attempt() || (Reclaim() > 0 && attempt());
}

Status Channel::ClaimEndpoint(uint32_t* endpoint) {
  Status s = Intact();
  if (!s.ok()) return s;
  if (endpoint_ >= 0) return Status::Own("EINVAL", "This process has already joined the frame channel");
  s = KnowSelf();
  if (!s.ok()) return s;
  const ProcessIdentity self = self_;
  bool claimed = AgainAfterReclaiming([&] {
    for (uint32_t e = 0; e < g_.endpoints; ++e) {
      ProcessIdentity expected = 0;
      if (h_->endpoint[e].owner.compare_exchange_strong(expected, self)) {
        h_->endpoint[e].armed.store(0);
        endpoint_ = static_cast<int>(e);
        return true;
      }
    }
    return false;
  });
  if (!claimed) {
    return Status::Own("ERR_CHANNEL_FULL", "Every endpoint of the frame channel is taken by a live process (" +
                                               std::to_string(g_.endpoints) + "; see options.processes)");
  }
  *endpoint = static_cast<uint32_t>(endpoint_);
  return Status::Ok();
}

void Channel::ReleaseEndpoint() {
  if (endpoint_ < 0) return;
  for (uint32_t i = 0; i < kMaxSubscribers; ++i) RemoveSubscriber(i);
  Endpoint& own = h_->endpoint[endpoint_];
  own.armed.store(0);
  ProcessIdentity self = self_;
  own.owner.compare_exchange_strong(self, 0);  // only if it is still ours
  endpoint_ = -1;
  WakeArmed(kWantSpace);
}

Status Channel::ClaimPublisher() {
  Status s = Intact();
  if (!s.ok()) return s;
  s = KnowSelf();
  if (!s.ok()) return s;
  const ProcessIdentity self = self_;
  ProcessIdentity current = 0;
  if (publisher_ || (!h_->publisher.compare_exchange_strong(current, self) &&
                     (current == self || IsAlive(current) || !h_->publisher.compare_exchange_strong(current, self)))) {
    return Status::Own("ERR_PUBLISHER_EXISTS", "The frame channel already has a publisher (one per channel)");
  }
  publisher_ = true;
  // The sequence goes on from the last frame any publisher sent.
  published_ = h_->published.load();
  if (published_ != 0 && (SlotOf(published_) >= g_.slots || SeqOf(published_) >= kMaxSequence)) {
    return Corrupt("the newest frame's slot or sequence number is out of range");
  }
  h_->publisher_closed.store(0);
  h_->publisher_epoch.fetch_add(1);
  // Waiting subscribers learn of the new publisher and watch it.
  WakeArmed(kWantFrames);
  return Status::Ok();
}

void Channel::ReleasePublisher() {
  if (!publisher_) return;
  if (loaned_) h_->slot[loan_.slot].seq.store(0);
  loaned_ = false;
  publisher_ = false;
  ProcessIdentity self = self_;
  if (h_->publisher.load() != self) return;
  h_->publisher_closed.store(1);
  h_->publisher.compare_exchange_strong(self, 0);
  WakeArmed(kWantFrames);
}

Status Channel::Publisher(PublisherInfo* out) {
  Status s = Intact();
  if (!s.ok()) return s;
  out->identity = h_->publisher.load();
  out->epoch = h_->publisher_epoch.load();
  out->closed = h_->publisher_closed.load() != 0;
  if (out->identity == kReclaiming || (out->identity != 0 && PidOf(out->identity) <= 0)) {
    return Corrupt("the publisher's process identity is not one");
  }
  return Status::Ok();
}

Status Channel::AddSubscriber(uint32_t* subscriber) {
  Status s = Intact();
  if (!s.ok()) return s;
  if (endpoint_ < 0) return Status::Own("EINVAL", "This process has not joined the frame channel");
  const uint32_t owner = static_cast<uint32_t>(endpoint_) + 1;
  bool added = AgainAfterReclaiming([&] {
    for (uint32_t i = 0; i < kMaxSubscribers; ++i) {
      SubscriberEntry& entry = h_->subscriber[i];
      uint32_t expected = 0;
      if (!entry.owner.compare_exchange_strong(expected, owner)) continue;
      entry.leases.store(0);
      entry.last_seen.store(0);
      // Queue: start after the newest frame. The cursor is set before the
      // entry becomes active and corrected after, so that no frame the
      // publisher may already have overwritten is ever expected.
      uint64_t before = SeqOf(h_->published.load());
      entry.cursor.store(before + 1);
      entry.owner.store(owner | kActive);
      uint64_t after = SeqOf(h_->published.load());
      if (after != before) entry.cursor.store(after + 1);
      subscribers_ |= Bit(i);
      next_[i] = g_.policy == kQueue ? after + 1 : 0;
      *subscriber = i;
      return true;
    }
    return false;
  });
  if (!added) {
    return Status::Own("ERR_CHANNEL_FULL",
                       "The frame channel has its maximum of " + std::to_string(kMaxSubscribers) + " subscribers");
  }
  if (next_[*subscriber] > kMaxSequence) return Corrupt("the newest frame's sequence number is out of range");
  return Status::Ok();
}

void Channel::RemoveSubscriber(uint32_t subscriber) {
  if (!OwnsSubscriber(subscriber)) return;
  subscribers_ &= ~Bit(subscriber);
  SubscriberEntry& entry = h_->subscriber[subscriber];
  entry.leases.store(0);
  uint32_t own = (static_cast<uint32_t>(endpoint_) + 1) | kActive;
  entry.owner.compare_exchange_strong(own, 0);  // only if it is still ours
  WakeArmed(kWantSpace);
}

Status Channel::Receive(uint32_t subscriber, ReceivedFrame* out, bool* got) {
  *got = false;
  Status s = Intact();
  if (!s.ok()) return s;
  if (!OwnsSubscriber(subscriber)) return Status::Own("EINVAL", "No such subscriber in this process");
  return g_.policy == kQueue ? ReceiveQueue(subscriber, out, got) : ReceiveLatest(subscriber, out, got);
}

Status Channel::ReceiveQueue(uint32_t subscriber, ReceivedFrame* out, bool* got) {
  SubscriberEntry& entry = h_->subscriber[subscriber];
  // The newest frame is never older than the last one received: an honest
  // publisher's sequence only goes forward. `published` is stored just after
  // a slot's seq, so a frame may be taken a moment before it is published:
  // the cursor can then be 2 past `published`, never more.
  if (SeqOf(h_->published.load()) + 2 < next_[subscriber]) {
    return Corrupt("the newest frame is older than one already received");
  }
  for (int tries = 0; tries < 2; ++tries) {
    const uint64_t cursor = next_[subscriber];
    const uint32_t slot = static_cast<uint32_t>(cursor % g_.slots);
    const uint64_t seq = h_->slot[slot].seq.load();
    if ((seq & kBusy) || seq < cursor) return Status::Ok();
    if (seq > cursor) {
      // Frames were overwritten before this subscriber took them: only if
      // a process broke the protocol. Skip to what the slot holds, if the
      // publisher did send it: `published` is stored just after a slot's
      // seq, so it may still be one behind.
      if (seq > SeqOf(h_->published.load()) + 1 || seq > kMaxSequence) {
        return Corrupt("a slot holds a frame that was never published");
      }
      out->skipped += seq - cursor;
      next_[subscriber] = seq;
      entry.cursor.store(seq);
      continue;
    }
    if (!LeaseFrame(entry, slot, cursor, out)) return Status::Ok();
    next_[subscriber] = cursor + 1;
    entry.cursor.store(cursor + 1);
    *got = true;
    WakeArmed(kWantSpace);
    return Status::Ok();
  }
  return Status::Ok();
}

Status Channel::ReceiveLatest(uint32_t subscriber, ReceivedFrame* out, bool* got) {
  SubscriberEntry& entry = h_->subscriber[subscriber];
  // A retry happens only when the publisher moved on between the read of
  // `published` and the lease; a few cover any real race.
  for (int tries = 0; tries < 8; ++tries) {
    const uint64_t published = h_->published.load();
    const uint64_t seq = SeqOf(published);
    const uint32_t slot = SlotOf(published);
    if (seq < next_[subscriber]) return Corrupt("the newest frame is older than one already received");
    if (published == 0 || seq == next_[subscriber]) return Status::Ok();
    if (slot >= g_.slots || seq > kMaxSequence) return Corrupt("the newest frame's slot or sequence number is out of range");
    if (entry.leases.load() & Bit(slot)) return Status::Ok();  // not unless the protocol was broken: a held slot is never rewritten
    if (LeaseFrame(entry, slot, seq, out)) {
      next_[subscriber] = seq;
      entry.last_seen.store(seq, std::memory_order_relaxed);
      *got = true;
      return Status::Ok();
    }
  }
  return Status::Ok();
}

// The lease is set, then the slot's seq read again: under latest the
// publisher marks a slot busy before it reads the leases (all sequentially
// consistent), so one of the two sees the other; under queue the cursors
// keep the publisher off a frame a subscriber has not yet taken.
bool Channel::LeaseFrame(SubscriberEntry& entry, uint32_t slot, uint64_t seq, ReceivedFrame* out) {
  entry.leases.fetch_or(Bit(slot));
  if (h_->slot[slot].seq.load() != seq) {
    entry.leases.fetch_and(~Bit(slot));
    return false;
  }
  out->slot = slot;
  out->seq = seq;
  out->timestamp = h_->slot[slot].timestamp.load(std::memory_order_relaxed);
  return true;
}

Status Channel::ReleaseLease(uint32_t subscriber, uint32_t slot) {
  if (!OwnsSubscriber(subscriber) || slot >= g_.slots) {
    return Status::Own("EINVAL", "No such subscriber or slot in this process");
  }
  h_->subscriber[subscriber].leases.fetch_and(~Bit(slot));
  WakeArmed(kWantSpace);
  return Status::Ok();
}

uint64_t Channel::LeasedSlots() const {
  uint64_t leased = 0;
  for (const SubscriberEntry& entry : h_->subscriber) {
    if (entry.owner.load() != 0) leased |= entry.leases.load();
  }
  return leased & slot_mask_;
}

bool Channel::TryLoanQueue(Loan* out) {
  const uint64_t seq = SeqOf(published_) + 1;
  const uint32_t slot = static_cast<uint32_t>(seq % g_.slots);
  const uint64_t old = h_->slot[slot].seq.load();
  // A busy slot here is one a dead publisher never sent: nobody reads it.
  if (!(old & kBusy)) {
    for (const SubscriberEntry& entry : h_->subscriber) {
      if ((entry.owner.load() & kActive) && entry.cursor.load() <= old) return false;
    }
  }
  // Cursors first, then leases: a subscriber sets its lease before it moves
  // its cursor past a frame, and never leases a frame behind its cursor.
  if (LeasedSlots() & Bit(slot)) return false;
  h_->slot[slot].seq.store(kBusy | seq);
  out->slot = slot;
  out->seq = seq;
  return true;
}

bool Channel::TryLoanLatest(Loan* out) {
  const uint64_t seq = SeqOf(published_) + 1;
  uint64_t excluded = published_ == 0 ? 0 : Bit(SlotOf(published_));
  // Each round either loans a slot or excludes one, unless a slot's seq
  // changes between our read and our compare-exchange, which only another
  // writer of slots can do: the bound keeps a hostile one from holding us.
  for (uint32_t round = 0; round < 2 * kMaxSlots; ++round) {
    const uint64_t unavailable = excluded | LeasedSlots();
    // The oldest free slot: the one whose frame is least likely wanted.
    int best = -1;
    uint64_t best_seq = 0;
    for (uint32_t i = 0; i < g_.slots; ++i) {
      if (unavailable & Bit(i)) continue;
      uint64_t held = h_->slot[i].seq.load() & ~kBusy;
      if (best < 0 || held < best_seq) {
        best = static_cast<int>(i);
        best_seq = held;
      }
    }
    if (best < 0) return false;
    const uint32_t slot = static_cast<uint32_t>(best);
    uint64_t old = h_->slot[slot].seq.load();
    if (!h_->slot[slot].seq.compare_exchange_strong(old, kBusy | seq)) continue;
    // A subscriber that read an older `published` may have leased this slot
    // after our scan; it checks the slot's seq after leasing, we check its
    // lease after marking: one of us sees the other.
    if (!(LeasedSlots() & Bit(slot))) {
      out->slot = slot;
      out->seq = seq;
      return true;
    }
    h_->slot[slot].seq.store(old);
    excluded |= Bit(slot);
  }
  return false;
}

Status Channel::LoanSlot(Loan* out) {
  Status s = Intact();
  if (!s.ok()) return s;
  if (!publisher_) return Status::Own("EINVAL", "This process is not the frame channel's publisher");
  if (loaned_) return Status::Own("ERR_LOAN_PENDING", "A slot is already loaned");
  if (SeqOf(published_) >= kMaxSequence) return Corrupt("the sequence numbers are used up");
  const bool queue = g_.policy == kQueue;
  if (!AgainAfterReclaiming([&] { return queue ? TryLoanQueue(&loan_) : TryLoanLatest(&loan_); })) {
    return Status::Own("ERR_NO_FREE_SLOT",
                       queue ? "Every slot holds a frame a subscriber has not yet received or released"
                             : "Every slot but the newest is held by a subscriber: release frames sooner, or use more slots");
  }
  loaned_ = true;
  *out = loan_;
  return Status::Ok();
}

Status Channel::Send(const Loan& loan, uint64_t timestamp) {
  if (!HasLoan(loan)) return Status::Own("EINVAL", "That is not the loan this publisher has out");
  Status s = Intact();
  if (!s.ok()) {
    Abandon(loan);  // the loan ends unsent
    return s;
  }
  loaned_ = false;
  SlotControl& slot = h_->slot[loan.slot];
  slot.timestamp.store(timestamp, std::memory_order_relaxed);
  slot.seq.store(loan.seq);
  published_ = Pack(loan.seq, loan.slot);
  h_->published.store(published_);
  WakeArmed(kWantFrames);
  return Status::Ok();
}

Status Channel::Abandon(const Loan& loan) {
  if (!HasLoan(loan)) return Status::Own("EINVAL", "That is not the loan this publisher has out");
  loaned_ = false;
  // Its old frame may be partly overwritten: the slot is empty now.
  h_->slot[loan.slot].seq.store(0);
  return Status::Ok();  // a release: it works on a corrupt channel too
}

Status Channel::Arm(uint32_t requests) {
  Status s = Intact();
  if (!s.ok()) return s;
  if (endpoint_ < 0) return Status::Own("EINVAL", "This process has not joined the frame channel");
  h_->endpoint[endpoint_].armed.fetch_or(requests & (kWantFrames | kWantSpace));
  return Status::Ok();
}

Status Channel::Disarm(uint32_t requests) {
  if (endpoint_ < 0) return Status::Own("EINVAL", "This process has not joined the frame channel");
  h_->endpoint[endpoint_].armed.fetch_and(~requests);
  return Status::Ok();  // a release: it works on a corrupt channel too
}

void Channel::WakeArmed(uint32_t requests) {
  // Only the wake sockets this process was given, one per endpoint of its own
  // copy of the geometry: never a descriptor number read from shared memory.
  for (uint32_t e = 0; e < g_.endpoints && e < wake_fds_.size(); ++e) {
    std::atomic<uint32_t>& armed = h_->endpoint[e].armed;
    // A request is answered once: the waiter arms again if it still waits,
    // so a burst of frames costs one write, and none when nobody waits.
    if ((armed.load() & requests) == 0) continue;
    if ((armed.fetch_and(~requests) & requests) == 0) continue;
    SendWake(wake_fds_[e]);
  }
}

void Channel::ClearSubscribersOf(uint32_t endpoint) {
  for (SubscriberEntry& entry : h_->subscriber) {
    if ((entry.owner.load() & kOwnerMask) != endpoint + 1) continue;
    entry.leases.store(0);
    entry.owner.store(0);
  }
}

Status Channel::ReclaimDead(uint32_t* reclaimed) {
  Status s = Intact();
  if (!s.ok()) return s;
  *reclaimed = Reclaim();
  return Status::Ok();
}

uint32_t Channel::Reclaim() {
  const ProcessIdentity self = self_;
  uint32_t reclaimed = 0;
  for (uint32_t e = 0; e < g_.endpoints; ++e) {
    Endpoint& endpoint = h_->endpoint[e];
    ProcessIdentity owner = endpoint.owner.load();
    if (owner == 0 || owner == kReclaiming || owner == self || IsAlive(owner)) continue;
    if (!endpoint.owner.compare_exchange_strong(owner, kReclaiming)) continue;
    ClearSubscribersOf(e);
    endpoint.armed.store(0);
    endpoint.owner.store(0);
    ++reclaimed;
  }
  ProcessIdentity publisher = h_->publisher.load();
  if (publisher != 0 && publisher != self && !IsAlive(publisher) &&
      h_->publisher.compare_exchange_strong(publisher, 0)) {
    ++reclaimed;
  }
  if (reclaimed > 0) WakeArmed(kWantFrames | kWantSpace);
  return reclaimed;
}

}  // namespace frames
}  // namespace eshm
