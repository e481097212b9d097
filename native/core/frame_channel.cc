#include "core/frame_channel.h"

#include <unistd.h>

#include "core/mapping.h"

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
static_assert(kMaxSlots <= 64, "a slot is one bit of a lease word");

uint64_t Bit(uint32_t slot) { return 1ull << slot; }

uint64_t Pack(uint64_t seq, uint32_t slot) { return (seq << 8) | slot; }
uint64_t SeqOf(uint64_t published) { return published >> 8; }
uint32_t SlotOf(uint64_t published) { return static_cast<uint32_t>(published & 0xff); }

// a + b * c <= limit, without wrap-around: a header another process wrote
// may hold any values, and a wrapped sum would pass for a small one.
bool Fits(uint64_t a, uint64_t b, uint64_t c, uint64_t limit) {
  uint64_t product = 0;
  uint64_t sum = 0;
  return !__builtin_mul_overflow(b, c, &product) && !__builtin_add_overflow(a, product, &sum) && sum <= limit;
}

}  // namespace

uint64_t HeaderBytes() { return RoundUpToPage(sizeof(Header)); }

void Channel::Init(Header* h, const Geometry& geometry) {
  h->version = kVersion;
  h->header_bytes = static_cast<uint32_t>(HeaderBytes());
  h->geometry = geometry;
  // Importers check the magic last written, so they see the rest.
  std::atomic_thread_fence(std::memory_order_release);
  h->magic = kMagic;
}

Status Channel::Check(const Header* h, uint64_t map_size, size_t wake_fds) {
  auto invalid = [](const char* why) { return Status::Own("ERR_HANDLE_INVALID", why); };
  if (map_size < HeaderBytes() || h->magic != kMagic) return invalid("the memory is not a frame channel");
  if (h->version != kVersion) return invalid("the frame channel has a layout version this module does not know");
  const Geometry& g = h->geometry;
  if (h->header_bytes != HeaderBytes() || g.slots < 2 || g.slots > kMaxSlots || g.endpoints < 1 ||
      g.endpoints > kMaxEndpoints || g.policy > kQueue || g.slots_offset < HeaderBytes() ||
      !Fits(g.frame_size, kMetaBytes, 1, g.slot_size) || !Fits(g.slots_offset, g.slot_size, g.slots, map_size)) {
    return invalid("the frame channel's header is inconsistent with its size");
  }
  if (g.endpoints != wake_fds) return invalid("the frame channel came without its wake descriptors");
  return Status::Ok();
}

template <typename Attempt>
bool Channel::AgainAfterReclaiming(Attempt attempt) {
  return attempt() || (ReclaimDead() > 0 && attempt());
}

Status Channel::ClaimEndpoint(uint32_t* endpoint) {
  const ProcessIdentity self = SelfIdentity();
  bool claimed = AgainAfterReclaiming([&] {
    for (uint32_t e = 0; e < h_->geometry.endpoints; ++e) {
      ProcessIdentity expected = 0;
      if (h_->endpoint[e].owner.compare_exchange_strong(expected, self)) {
        h_->endpoint[e].armed.store(0);
        *endpoint = e;
        return true;
      }
    }
    return false;
  });
  if (claimed) return Status::Ok();
  return Status::Own("ERR_CHANNEL_FULL", "every endpoint of the frame channel is taken by a live process (" +
                                             std::to_string(h_->geometry.endpoints) + "; see options.processes)");
}

void Channel::ReleaseEndpoint(uint32_t endpoint) {
  ClearSubscribersOf(endpoint);
  h_->endpoint[endpoint].armed.store(0);
  h_->endpoint[endpoint].owner.store(0);
  WakeArmed(kWantSpace);
}

Status Channel::ClaimPublisher() {
  const ProcessIdentity self = SelfIdentity();
  ProcessIdentity current = 0;
  if (!h_->publisher.compare_exchange_strong(current, self)) {
    if (current == self || IsAlive(current) || !h_->publisher.compare_exchange_strong(current, self)) {
      return Status::Own("ERR_PUBLISHER_EXISTS", "the frame channel already has a publisher (one per channel)");
    }
  }
  h_->publisher_closed.store(0);
  h_->publisher_epoch.fetch_add(1);
  // Waiting subscribers learn of the new publisher and watch it.
  WakeArmed(kWantFrames);
  return Status::Ok();
}

void Channel::ReleasePublisher() {
  ProcessIdentity self = SelfIdentity();
  if (h_->publisher.load() != self) return;
  h_->publisher_closed.store(1);
  h_->publisher.compare_exchange_strong(self, 0);
  WakeArmed(kWantFrames);
}

PublisherInfo Channel::Publisher() const {
  PublisherInfo info;
  info.identity = h_->publisher.load();
  info.epoch = h_->publisher_epoch.load();
  info.closed = h_->publisher_closed.load() != 0;
  return info;
}

Status Channel::AddSubscriber(uint32_t endpoint, uint32_t* subscriber) {
  bool added = AgainAfterReclaiming([&] {
    for (uint32_t i = 0; i < kMaxSubscribers; ++i) {
      SubscriberEntry& s = h_->subscriber[i];
      uint32_t expected = 0;
      if (!s.owner.compare_exchange_strong(expected, endpoint + 1)) continue;
      s.leases.store(0);
      s.last_seen.store(0);
      // Queue: start after the newest frame. The cursor is set before the
      // entry becomes active and corrected after, so that no frame the
      // publisher may already have overwritten is ever expected.
      uint64_t before = SeqOf(h_->published.load());
      s.cursor.store(before + 1);
      s.owner.store((endpoint + 1) | kActive);
      uint64_t after = SeqOf(h_->published.load());
      if (after != before) s.cursor.store(after + 1);
      *subscriber = i;
      return true;
    }
    return false;
  });
  if (added) return Status::Ok();
  return Status::Own("ERR_CHANNEL_FULL", "the frame channel has its maximum of " + std::to_string(kMaxSubscribers) +
                                             " subscribers");
}

void Channel::RemoveSubscriber(uint32_t subscriber) {
  SubscriberEntry& s = h_->subscriber[subscriber];
  s.owner.store(0);
  s.leases.store(0);
  WakeArmed(kWantSpace);
}

bool Channel::Receive(uint32_t subscriber, ReceivedFrame* out) {
  SubscriberEntry& s = h_->subscriber[subscriber];
  const uint32_t slots = h_->geometry.slots;
  if (h_->geometry.policy == kQueue) {
    for (int tries = 0; tries < 2; ++tries) {
      uint64_t cursor = s.cursor.load();
      uint32_t slot = static_cast<uint32_t>(cursor % slots);
      uint64_t seq = h_->slot[slot].seq.load();
      if ((seq & kBusy) || seq < cursor) return false;
      if (seq > cursor) {
        // Frames were overwritten before this subscriber took them: only
        // if a process broke the protocol. Skip to what the slot holds.
        out->skipped += seq - cursor;
        s.cursor.store(seq);
        continue;
      }
      s.leases.fetch_or(Bit(slot));
      if (h_->slot[slot].seq.load() != cursor) {
        s.leases.fetch_and(~Bit(slot));
        return false;
      }
      s.cursor.store(cursor + 1);
      out->slot = slot;
      out->seq = cursor;
      out->timestamp = h_->slot[slot].timestamp.load(std::memory_order_relaxed);
      WakeArmed(kWantSpace);
      return true;
    }
    return false;
  }
  // Latest. A retry happens only when the publisher moved on between the
  // read of `published` and the lease; a few cover any real race.
  for (int tries = 0; tries < 8; ++tries) {
    uint64_t published = h_->published.load();
    uint64_t seq = SeqOf(published);
    uint32_t slot = SlotOf(published);
    if (published == 0 || seq <= s.last_seen.load(std::memory_order_relaxed)) return false;
    if (s.leases.load() & Bit(slot)) return false;  // cannot be: a held slot is never rewritten
    s.leases.fetch_or(Bit(slot));
    if (h_->slot[slot].seq.load() == seq) {
      s.last_seen.store(seq, std::memory_order_relaxed);
      out->slot = slot;
      out->seq = seq;
      out->timestamp = h_->slot[slot].timestamp.load(std::memory_order_relaxed);
      return true;
    }
    s.leases.fetch_and(~Bit(slot));
  }
  return false;
}

void Channel::ReleaseLease(uint32_t subscriber, uint32_t slot) {
  h_->subscriber[subscriber].leases.fetch_and(~Bit(slot));
  WakeArmed(kWantSpace);
}

uint64_t Channel::LeasedSlots() const {
  uint64_t leased = 0;
  for (const SubscriberEntry& s : h_->subscriber) {
    if (s.owner.load() != 0) leased |= s.leases.load();
  }
  return leased;
}

bool Channel::TryLoanQueue(Loan* out) {
  const uint64_t seq = SeqOf(h_->published.load()) + 1;
  const uint32_t slot = static_cast<uint32_t>(seq % h_->geometry.slots);
  const uint64_t old = h_->slot[slot].seq.load();
  // A busy slot here is one a dead publisher never sent: nobody reads it.
  if (!(old & kBusy)) {
    for (const SubscriberEntry& s : h_->subscriber) {
      if ((s.owner.load() & kActive) && s.cursor.load() <= old) return false;
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
  const uint64_t published = h_->published.load();
  const uint64_t seq = SeqOf(published) + 1;
  uint64_t excluded = published == 0 ? 0 : Bit(SlotOf(published));
  for (;;) {
    uint64_t unavailable = excluded | LeasedSlots();
    // The oldest free slot: the one whose frame is least likely wanted.
    int best = -1;
    uint64_t best_seq = 0;
    for (uint32_t i = 0; i < h_->geometry.slots; ++i) {
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
}

Status Channel::LoanSlot(Loan* out) {
  const bool queue = h_->geometry.policy == kQueue;
  if (AgainAfterReclaiming([&] { return queue ? TryLoanQueue(out) : TryLoanLatest(out); })) return Status::Ok();
  return Status::Own("ERR_NO_FREE_SLOT",
                     queue ? "every slot holds a frame a subscriber has not yet received or released"
                           : "every slot but the newest is held by a subscriber: release frames sooner, or use more slots");
}

void Channel::Send(const Loan& loan, uint64_t timestamp) {
  SlotControl& slot = h_->slot[loan.slot];
  slot.timestamp.store(timestamp, std::memory_order_relaxed);
  slot.seq.store(loan.seq);
  h_->published.store(Pack(loan.seq, loan.slot));
  WakeArmed(kWantFrames);
}

void Channel::Abandon(const Loan& loan) {
  // Its old frame may be partly overwritten: the slot is empty now.
  h_->slot[loan.slot].seq.store(0);
}

void Channel::Arm(uint32_t endpoint, uint32_t requests) { h_->endpoint[endpoint].armed.fetch_or(requests); }

void Channel::Disarm(uint32_t endpoint, uint32_t requests) { h_->endpoint[endpoint].armed.fetch_and(~requests); }

void Channel::WakeArmed(uint32_t requests) {
  for (uint32_t e = 0; e < h_->geometry.endpoints; ++e) {
    std::atomic<uint32_t>& armed = h_->endpoint[e].armed;
    // A request is answered once: the waiter arms again if it still waits,
    // so a burst of frames costs one write, and none when nobody waits.
    if ((armed.load() & requests) == 0) continue;
    if ((armed.fetch_and(~requests) & requests) == 0) continue;
    uint64_t one = 1;
    ssize_t ignored = write(wake_fds_[e], &one, sizeof one);
    (void)ignored;  // only EAGAIN, when the counter is already huge: it is readable anyway
  }
}

void Channel::ClearSubscribersOf(uint32_t endpoint) {
  for (SubscriberEntry& s : h_->subscriber) {
    if ((s.owner.load() & kOwnerMask) != endpoint + 1) continue;
    s.leases.store(0);
    s.owner.store(0);
  }
}

uint32_t Channel::ReclaimDead() {
  const ProcessIdentity self = SelfIdentity();
  uint32_t reclaimed = 0;
  for (uint32_t e = 0; e < h_->geometry.endpoints; ++e) {
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
