// Fuzz target: a frame channel's protocol, run by this process (a publisher
// and a subscriber, as two processes have them) while the input, playing a
// hostile process, writes into the shared header between their steps
// (frames::Channel, native/core/frame_channel.h).
//
// Input: a program of steps. Each step is one byte of operation, then its
// operands: a write of 1 to 8 bytes at any offset of the header, or one of
// the channel's operations (loan, send, abandon, receive, release, arm,
// publisher state, reclaim, a late subscriber joining).
// Seeds: honest programs (frames sent and received, no writes), and the
// writes that once killed processes (slots = 0, endpoints = 2^32 - 1).
//
// What must hold, for every input:
// - no sanitizer report: every index read from the header is checked, so
//   nothing reads or writes outside the header, and no shift or division
//   is undefined;
// - every refusal is one a hostile header may cause, with its code;
// - a received frame's slot is one of the channel's;
// - every step returns: no loop depends on what the header says.

#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <memory>
#include <string>
#include <vector>

#include "core/frame_channel.h"
#include "core/unique_fd.h"
#include "core/wake_socket.h"
#include "fuzz/fuzz.h"

namespace {

using eshm::Status;
using eshm::fuzz::Bytes;
namespace frames = eshm::frames;

constexpr uint32_t kSlots = 3;
constexpr uint32_t kEndpoints = 3;

enum Op : uint8_t { kWrite, kLoan, kSend, kAbandon, kReceive, kRelease, kArm, kPublisher, kReclaim, kLate, kOps };

frames::Geometry TestGeometry() {
  frames::Geometry g;
  g.width = 4;
  g.height = 4;
  g.slots = kSlots;
  g.endpoints = kEndpoints;
  g.frame_size = 64;
  g.slot_size = 4096;
  g.slots_offset = frames::HeaderBytes();
  return g;
}

// The wake socket pairs of the endpoints, made once; emptied after each
// input. The send ends go to the channel.
std::vector<eshm::UniqueFd>& WakeEnds() {
  static std::vector<eshm::UniqueFd> ends = [] {
    std::vector<eshm::UniqueFd> made(2 * kEndpoints);
    for (uint32_t e = 0; e < kEndpoints; ++e) eshm::CreateWakePair(&made[2 * e], &made[2 * e + 1]);
    return made;
  }();
  return ends;
}

std::vector<int> WakeFds() {
  std::vector<int> send;
  for (uint32_t e = 0; e < kEndpoints; ++e) send.push_back(WakeEnds()[2 * e + 1].get());
  return send;
}

bool Acceptable(const Status& s) {
  if (s.ok()) return true;
  const std::string code = s.CodeName();
  return code == "ERR_CHANNEL_CORRUPT" || code == "ERR_NO_FREE_SLOT" || code == "ERR_CHANNEL_FULL" ||
         code == "ERR_PUBLISHER_EXISTS" || code == "ERR_LOAN_PENDING" || code == "EINVAL";
}

Bytes Step(Op op, Bytes operands = {}) {
  Bytes step{op};
  step.insert(step.end(), operands.begin(), operands.end());
  return step;
}

Bytes Write(uint16_t offset, uint8_t width, uint64_t value) {
  Bytes operands;
  eshm::fuzz::AppendUint(&operands, offset, 2);
  operands.push_back(width);
  eshm::fuzz::AppendUint(&operands, value, 8);
  return Step(kWrite, operands);
}

Bytes Program(std::initializer_list<Bytes> steps) {
  Bytes program;
  for (const Bytes& step : steps) program.insert(program.end(), step.begin(), step.end());
  return program;
}

}  // namespace

std::vector<Bytes> FuzzSeeds() {
  const Bytes frame = Program({Step(kLoan), Step(kSend), Step(kReceive), Step(kRelease)});
  return {
      Program({frame, frame, Step(kArm), frame, Step(kLoan), Step(kAbandon), Step(kPublisher), Step(kLate), frame}),
      Program({frame, Write(32, 4, 0), frame, Step(kArm), frame}),                   // slots = 0
      Program({Step(kArm), Write(36, 4, 0xffffffff), frame, Step(kReclaim), frame}),  // endpoints = 2^32 - 1
      Program({frame, Write(64, 8, ~0ull), frame, Write(128, 8, 1ull << 63), frame}),  // published, a slot's seq
  };
}

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  static uint8_t* memory = static_cast<uint8_t*>(std::aligned_alloc(4096, frames::HeaderBytes()));
  std::memset(memory, 0, frames::HeaderBytes());
  auto* header = reinterpret_cast<frames::Header*>(memory);
  const frames::Geometry geometry = TestGeometry();
  frames::Channel::Init(header, geometry);
  frames::Channel publisher(header, geometry, WakeFds()), subscriber(header, geometry, WakeFds());
  uint32_t endpoint = 0, sub = 0;
  FUZZ_CHECK(publisher.ClaimEndpoint(&endpoint).ok() && publisher.ClaimPublisher().ok(), "an honest start");
  FUZZ_CHECK(subscriber.ClaimEndpoint(&endpoint).ok() && subscriber.AddSubscriber(&sub).ok(), "an honest start");
  std::unique_ptr<frames::Channel> late;

  eshm::fuzz::Reader input(data, size);
  frames::Loan loan;
  frames::ReceivedFrame frame;
  bool held = false;
  for (int steps = 0; steps < 256 && input.rest_size() > 0; ++steps) {
    switch (static_cast<Op>(input.Uint(1) % kOps)) {
      case kWrite: {
        const size_t offset = input.Uint(2) % sizeof(frames::Header);
        const size_t width = 1 + input.Uint(1) % 8;
        const uint64_t value = input.Uint(8);
        std::memcpy(memory + offset, &value, offset + width <= sizeof(frames::Header) ? width : sizeof(frames::Header) - offset);
        break;
      }
      case kLoan:
        FUZZ_CHECK(Acceptable(publisher.LoanSlot(&loan)), "a loan fails with a code");
        break;
      case kSend:
        FUZZ_CHECK(Acceptable(publisher.Send(loan, 7)), "a send fails with a code");
        break;
      case kAbandon:
        FUZZ_CHECK(Acceptable(publisher.Abandon(loan)), "an abandon fails with a code");
        break;
      case kReceive: {
        bool got = false;
        FUZZ_CHECK(Acceptable(subscriber.Receive(sub, &frame, &got)), "a receive fails with a code");
        FUZZ_CHECK(!got || frame.slot < kSlots, "a received slot is one of the channel's");
        held = held || got;
        break;
      }
      case kRelease:
        if (held) FUZZ_CHECK(subscriber.ReleaseLease(sub, frame.slot).ok(), "a held frame is released");
        held = false;
        break;
      case kArm:
        FUZZ_CHECK(Acceptable(subscriber.Arm(frames::kWantFrames)), "arming fails with a code");
        FUZZ_CHECK(Acceptable(publisher.Arm(frames::kWantSpace)), "arming fails with a code");
        break;
      case kPublisher: {
        frames::PublisherInfo info;
        FUZZ_CHECK(Acceptable(subscriber.Publisher(&info)), "the publisher's state fails with a code");
        break;
      }
      case kReclaim: {
        uint32_t reclaimed = 0;
        FUZZ_CHECK(Acceptable(subscriber.ReclaimDead(&reclaimed)), "reclaiming fails with a code");
        break;
      }
      case kLate: {
        late = std::make_unique<frames::Channel>(header, geometry, WakeFds());
        uint32_t e = 0, s = 0;
        Status joined = late->ClaimEndpoint(&e);
        FUZZ_CHECK(Acceptable(joined), "joining fails with a code");
        if (joined.ok()) FUZZ_CHECK(Acceptable(late->AddSubscriber(&s)), "subscribing fails with a code");
        break;
      }
      case kOps:
        break;
    }
  }
  if (late != nullptr) late->ReleaseEndpoint();
  subscriber.ReleaseEndpoint();
  publisher.ReleasePublisher();
  publisher.ReleaseEndpoint();
  for (uint32_t e = 0; e < kEndpoints; ++e) eshm::DrainWakes(WakeEnds()[2 * e].get());
  return 0;
}
