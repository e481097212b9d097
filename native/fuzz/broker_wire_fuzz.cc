// Fuzz target: the broker's readers of what the other end of an import
// sends (native/core/broker_wire.h). The broker reads requests from any
// process of any user that connects; the importer reads replies and the
// broker confirmations from a process that may be hostile.
//
// Input: one byte choosing the reader (request, reply, confirmation), then
// the bytes received so far, split at a second byte's position as a socket
// may deliver them in two reads.
// Seeds: the messages the encoders write, whole and cut short.
//
// What must hold, for every input:
// - no sanitizer report: no read outside the bytes given;
// - the answer is the same whether the bytes came at once or in two parts
//   (the second read appends to the first), and kNeedMore only for a true
//   prefix: whatever completes it, a message never gets shorter;
// - a complete request has an id of 1 or more, and re-encodes to exactly
//   the bytes read; a complete reply has a known status, and a grant
//   carries 1 to kMaxExportFds descriptors.
#include <algorithm>
#include <cstdint>
#include <cstring>
#include <vector>

#include "core/broker_wire.h"
#include "fuzz/fuzz.h"

namespace {

using eshm::Parse;
using eshm::fuzz::Bytes;

enum Reader : uint8_t { kRequest, kReply, kConfirm, kReaders };

Parse Read(Reader reader, const uint8_t* data, size_t size, Bytes* encoded) {
  switch (reader) {
    case kRequest: {
      eshm::BrokerRequest request;
      Parse p = eshm::ParseRequest(data, size, &request);
      if (p == Parse::kComplete) {
        FUZZ_CHECK(request.id >= 1, "a complete request names an export (id 1 or more)");
        encoded->resize(eshm::kRequestSize);
        eshm::EncodeRequest(request, encoded->data());
      }
      return p;
    }
    case kReply: {
      eshm::BrokerReply reply;
      Parse p = eshm::ParseReply(data, size, &reply);
      if (p == Parse::kComplete) {
        FUZZ_CHECK(reply.status >= eshm::ReplyStatus::kGranted && reply.status <= eshm::ReplyStatus::kNoDescriptors,
                   "a complete reply has a known status");
        FUZZ_CHECK(reply.status != eshm::ReplyStatus::kGranted ||
                       (reply.value >= 1 && reply.value <= eshm::kMaxExportFds),
                   "a grant carries 1 to kMaxExportFds descriptors");
        encoded->resize(eshm::kReplySize);
        eshm::EncodeReply(reply, encoded->data());
      }
      return p;
    }
    default: {
      Parse p = eshm::ParseConfirm(data, size);
      if (p == Parse::kComplete) {
        encoded->resize(eshm::kConfirmSize);
        eshm::EncodeConfirm(encoded->data());
      }
      return p;
    }
  }
}

Bytes Seed(Reader reader, const uint8_t* message, size_t size, size_t split) {
  Bytes seed{reader, static_cast<uint8_t>(split)};
  seed.insert(seed.end(), message, message + size);
  return seed;
}

}  // namespace

std::vector<Bytes> FuzzSeeds() {
  eshm::BrokerRequest request;
  request.id = 7;
  for (size_t i = 0; i < request.secret.size(); ++i) request.secret[i] = static_cast<uint8_t>(i * 17);
  uint8_t req[eshm::kRequestSize], granted[eshm::kReplySize], refused[eshm::kReplySize], confirm[eshm::kConfirmSize];
  eshm::EncodeRequest(request, req);
  eshm::EncodeReply({eshm::ReplyStatus::kGranted, 3}, granted);
  eshm::EncodeReply({eshm::ReplyStatus::kNoDescriptors, 24}, refused);  // EMFILE
  eshm::EncodeConfirm(confirm);
  return {
      Seed(kRequest, req, sizeof req, 9),     Seed(kRequest, req, 20, 3),
      Seed(kReply, granted, sizeof granted, 8), Seed(kReply, refused, sizeof refused, 0),
      Seed(kConfirm, confirm, sizeof confirm, 4),
  };
}

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  eshm::fuzz::Reader input(data, size);
  const auto reader = static_cast<Reader>(input.Uint(1) % kReaders);
  const size_t split_at = input.Uint(1);
  // A copy of exactly the bytes received, so that a read past them is a report.
  const std::vector<uint8_t> received(input.rest(), input.rest() + input.rest_size());
  const size_t split = std::min(split_at, received.size());

  Bytes whole_encoded, first_encoded;
  const Parse whole = Read(reader, received.data(), received.size(), &whole_encoded);
  // The first read alone: a prefix of the whole.
  const Parse first = Read(reader, received.data(), split, &first_encoded);
  if (first == Parse::kMalformed) FUZZ_CHECK(whole == Parse::kMalformed, "a malformed start stays malformed");
  if (first == Parse::kComplete) {
    FUZZ_CHECK(whole != Parse::kNeedMore, "a complete message never needs more once more arrives");
  }
  if (whole == Parse::kNeedMore) FUZZ_CHECK(first == Parse::kNeedMore, "a prefix of a prefix needs more too");
  if (whole == Parse::kComplete) {
    FUZZ_CHECK(first != Parse::kMalformed, "a prefix of a message is not malformed");
    FUZZ_CHECK(whole_encoded.size() == received.size() &&
                   std::memcmp(whole_encoded.data(), received.data(), received.size()) == 0,
               "a complete message re-encodes to exactly the bytes read");
  }
  return 0;
}
