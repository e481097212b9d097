// The broker's wire format (docs/handle-format.md, "The protocol"): the
// three messages of one import, and pure functions that write and read
// them. Nothing here makes a system call, so each reader can be fed any
// bytes at all: ParseRequest is the entry point for fuzzing what a peer
// may send the broker.
//
//   importer -> broker   Request  32 bytes: "ESHMRQ02", id (u64), secret (16)
//   broker -> importer   Reply    16 bytes: "ESHMRP02", status (i32), value (u32),
//                                 with the descriptors as SCM_RIGHTS when granted
//   importer -> broker   Confirm   8 bytes: "ESHMCF02", once the descriptors arrived
//
// Integers are in the host's byte order: both ends run on one machine.
#pragma once

#include <cstddef>
#include <cstdint>

#include "core/broker.h"

namespace eshm {

constexpr size_t kRequestSize = 32;
constexpr size_t kReplySize = 16;
constexpr size_t kConfirmSize = 8;

struct BrokerRequest {
  uint64_t id = 0;  // 1 or more: ids start at 1
  Secret secret{};
};

enum class ReplyStatus : int32_t {
  kGranted = 0,        // value: how many descriptors are attached
  kUnknown = 1,        // no export with that id, or a wrong secret
  kRevoked = 2,        // the export existed and has ended
  kWrongUid = 3,       // the importer runs as another user
  kWrongPid = 4,       // the export is bound to another process
  kBadRequest = 5,     // the request was not one
  kInFlight = 6,       // a `once` export is being imported by another connection right now
  kBusy = 7,           // the broker holds as many connections as it may: try again
  kTooSlow = 8,        // the request did not arrive before the connection's deadline
  kNoDescriptors = 9,  // the exporter could not accept: value is its errno (EMFILE, ENFILE)
};

struct BrokerReply {
  ReplyStatus status = ReplyStatus::kBadRequest;
  uint32_t value = 0;
};

// What a reader made of the bytes it was given.
enum class Parse {
  kComplete,  // a whole message; *out is set
  kNeedMore,  // a true prefix of a message: wait for more bytes
  kMalformed, // not the message, whatever follows (wrong magic, a field out of range, too long)
};

// Reads a request from `data[0, size)`. kNeedMore as long as the bytes so
// far can begin a request (the magic is checked as soon as it starts to
// arrive, so garbage is refused at its first wrong byte); kMalformed for
// a wrong magic, an id of 0, or more than kRequestSize bytes.
Parse ParseRequest(const uint8_t* data, size_t size, BrokerRequest* out);
void EncodeRequest(const BrokerRequest& request, uint8_t out[kRequestSize]);

// Reads a reply: kMalformed for a wrong magic, an unknown status, a grant
// of no descriptor or of more than kMaxExportFds, kNoDescriptors with an
// errno other than EMFILE or ENFILE, or more than kReplySize bytes.
Parse ParseReply(const uint8_t* data, size_t size, BrokerReply* out);
void EncodeReply(const BrokerReply& reply, uint8_t out[kReplySize]);

// Reads a confirmation: kMalformed for anything but its magic.
Parse ParseConfirm(const uint8_t* data, size_t size);
void EncodeConfirm(uint8_t out[kConfirmSize]);

}  // namespace eshm
