// Fuzz target: the check an importing process runs on a frame channel's
// header, which another process wrote and may have forged or corrupted
// (frames::ReadGeometry, native/core/frame_channel.h).
//
// Input: 8 bytes of map size and 2 of wake descriptor count (little-endian),
// then the first bytes of the header; the rest of the header is zero. The
// bytes of the header past the map's end, which would not exist in a real
// process (touching them raises SIGBUS), are unreadable to AddressSanitizer.
// Seeds: the headers Channel::Init writes for channels of several sizes,
// policies and endpoint counts, with the map size they need, and forged
// headers that the check once accepted.
//
// What must hold, for every input:
// - no sanitizer report: no read outside the header or past the map's end,
//   no undefined behaviour;
// - a refusal is ERR_HANDLE_INVALID;
// - an accepted header describes a channel that fits: slot and endpoint
//   counts within the limits (one wake descriptor per endpoint), and, in
//   exact arithmetic (no wrap-around), every slot inside the map after the
//   header, and every frame with its metadata inside its slot.
#include <algorithm>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <string>
#include <vector>

#include "core/frame_channel.h"
#include "core/mapping.h"
#include "fuzz/fuzz.h"

namespace {

using eshm::Status;
using eshm::fuzz::Bytes;
namespace frames = eshm::frames;

// The code under test, in one place.
Status CheckHeader(const frames::Header* header, uint64_t map_size, size_t wake_fds, frames::Geometry* geometry) {
  return frames::ReadGeometry(header, map_size, wake_fds, geometry);
}

// The header's memory: a map's first pages, page-aligned as mmap gives them.
uint8_t* HeaderMemory() {
  static uint8_t* memory = [] {
    auto* m = static_cast<uint8_t*>(std::aligned_alloc(eshm::PageSize(), frames::HeaderBytes()));
    std::memset(m, 0, frames::HeaderBytes());
    return m;
  }();
  return memory;
}

// a + b * c <= limit, in exact arithmetic.
bool FitsIn(uint64_t a, uint64_t b, uint64_t c, uint64_t limit) {
  uint64_t product = 0;
  uint64_t sum = 0;
  return !__builtin_mul_overflow(b, c, &product) && !__builtin_add_overflow(a, product, &sum) && sum <= limit;
}

// The geometry FrameChannel.create() chooses (main/lib/frame-channel.ts).
frames::Geometry ChannelGeometry(uint32_t width, uint32_t height, uint32_t slots, uint32_t endpoints,
                                 frames::Policy policy) {
  frames::Geometry g;
  g.width = width;
  g.height = height;
  g.format = 0;
  g.policy = policy;
  g.slots = slots;
  g.endpoints = endpoints;
  g.frame_size = uint64_t{width} * height * 4;
  g.slot_size = eshm::RoundUpToPage((g.frame_size + 63) / 64 * 64 + frames::kMetaBytes);
  g.slots_offset = frames::HeaderBytes();
  return g;
}

// An input: the header Channel::Init writes for `g` (without its trailing
// zeros: the rest of the header is zero anyway), in a map of `map_size`.
Bytes Input(const frames::Geometry& g, uint64_t map_size) {
  std::vector<uint8_t> memory(frames::HeaderBytes() + 64);
  auto* h = reinterpret_cast<frames::Header*>((reinterpret_cast<uintptr_t>(memory.data()) + 63) / 64 * 64);
  frames::Channel::Init(h, g);
  const auto* bytes = reinterpret_cast<const uint8_t*>(h);
  size_t used = sizeof(frames::Header);
  while (used > 0 && bytes[used - 1] == 0) --used;

  Bytes input;
  eshm::fuzz::AppendUint(&input, map_size, 8);
  eshm::fuzz::AppendUint(&input, g.endpoints, 2);
  input.insert(input.end(), bytes, bytes + used);
  return input;
}

Bytes Channel(uint32_t width, uint32_t height, uint32_t slots, uint32_t endpoints, frames::Policy policy,
              uint64_t spare) {
  frames::Geometry g = ChannelGeometry(width, height, slots, endpoints, policy);
  return Input(g, g.slots_offset + g.slot_size * slots + spare);
}

// Headers this target found accepted (sums that wrapped past 2^64 in
// the check before ReadGeometry), kept as seeds so that every run tries them first.
Bytes Forged(uint64_t frame_size, uint64_t slot_size) {
  frames::Geometry g = ChannelGeometry(1, 1, frames::kMaxSlots, 1, frames::kLatest);
  const uint64_t map_size = g.slots_offset + g.slot_size * g.slots;
  g.frame_size = frame_size;
  g.slot_size = slot_size;
  return Input(g, map_size);
}

}  // namespace

std::vector<Bytes> FuzzSeeds() {
  const uint64_t page = eshm::PageSize();
  return {
      Channel(1, 1, 2, 1, frames::kLatest, 0),
      Channel(640, 480, 3, 4, frames::kQueue, 0),
      Channel(1920, 1080, 8, 2, frames::kLatest, page),
      Channel(3840, 2160, frames::kMaxSlots, frames::kMaxEndpoints, frames::kQueue, 0),
      Forged(4096, uint64_t{1} << 58),     // 64 slots of 2^58 bytes: 2^64, which wraps to 0
      Forged(0 - frames::kMetaBytes, page),  // frame and metadata: 2^64, which wraps to 0
  };
}

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  static size_t dirty = 0;  // bytes the previous input wrote
  eshm::fuzz::Reader input(data, size);
  const uint64_t map_size = input.Uint(8);
  const size_t wake_fds = input.Uint(2);

  uint8_t* memory = HeaderMemory();
  const uint64_t mapped = frames::HeaderBytes();
  eshm::fuzz::MarkReadable(memory, mapped);
  std::memset(memory, 0, dirty);
  dirty = std::min<size_t>(input.rest_size(), sizeof(frames::Header));
  if (dirty > 0) std::memcpy(memory, input.rest(), dirty);  // rest() may be null
  if (map_size < mapped) eshm::fuzz::MarkUnreadable(memory + map_size, mapped - map_size);

  frames::Geometry g;
  Status status = CheckHeader(reinterpret_cast<const frames::Header*>(memory), map_size, wake_fds, &g);
  if (!status.ok()) {
    FUZZ_CHECK(status.CodeName() == "ERR_HANDLE_INVALID", "a refused header is ERR_HANDLE_INVALID");
    return 0;
  }
  FUZZ_CHECK(g.slots >= 2 && g.slots <= frames::kMaxSlots, "an accepted channel has 2 to kMaxSlots slots");
  FUZZ_CHECK(g.endpoints >= 1 && g.endpoints <= frames::kMaxEndpoints,
             "an accepted channel has 1 to kMaxEndpoints endpoints");
  FUZZ_CHECK(g.endpoints == wake_fds, "an accepted channel has one wake descriptor per endpoint");
  FUZZ_CHECK(g.policy == frames::kLatest || g.policy == frames::kQueue, "an accepted channel has a known policy");
  FUZZ_CHECK(g.slots_offset >= frames::HeaderBytes(), "an accepted channel's slots start after its header");
  FUZZ_CHECK(FitsIn(g.frame_size, frames::kMetaBytes, 1, g.slot_size),
             "an accepted channel's frame and its metadata fit in a slot (no wrap-around)");
  FUZZ_CHECK(FitsIn(g.slots_offset, g.slot_size, g.slots, map_size),
             "an accepted channel's slots fit in the map (no wrap-around)");
  return 0;
}
