#include "core/broker_wire.h"

#include <algorithm>
#include <cerrno>
#include <cstring>

namespace eshm {
namespace {

// The "02" is the protocol's version: version 1 had no confirmation, and a
// broker or importer of one version refuses the other's first message.
constexpr uint8_t kRequestMagic[8] = {'E', 'S', 'H', 'M', 'R', 'Q', '0', '2'};
constexpr uint8_t kReplyMagic[8] = {'E', 'S', 'H', 'M', 'R', 'P', '0', '2'};
constexpr uint8_t kConfirmMagic[8] = {'E', 'S', 'H', 'M', 'C', 'F', '0', '2'};

// kNeedMore while `data` is a prefix of the message (its magic compared as
// far as it goes), kMalformed once it cannot be, kComplete at `whole` bytes.
Parse Framing(const uint8_t* data, size_t size, const uint8_t (&magic)[8], size_t whole) {
  if (size > whole) return Parse::kMalformed;
  if (size == 0) return Parse::kNeedMore;
  if (std::memcmp(data, magic, std::min(size, sizeof magic)) != 0) return Parse::kMalformed;
  return size < whole ? Parse::kNeedMore : Parse::kComplete;
}

bool KnownStatus(int32_t status) {
  return status >= static_cast<int32_t>(ReplyStatus::kGranted) &&
         status <= static_cast<int32_t>(ReplyStatus::kNoDescriptors);
}

}  // namespace

Parse ParseRequest(const uint8_t* data, size_t size, BrokerRequest* out) {
  Parse framing = Framing(data, size, kRequestMagic, kRequestSize);
  if (framing != Parse::kComplete) return framing;
  BrokerRequest request;
  std::memcpy(&request.id, data + 8, sizeof request.id);
  std::memcpy(request.secret.data(), data + 16, request.secret.size());
  if (request.id == 0) return Parse::kMalformed;
  *out = request;
  return Parse::kComplete;
}

void EncodeRequest(const BrokerRequest& request, uint8_t out[kRequestSize]) {
  std::memcpy(out, kRequestMagic, sizeof kRequestMagic);
  std::memcpy(out + 8, &request.id, sizeof request.id);
  std::memcpy(out + 16, request.secret.data(), request.secret.size());
}

Parse ParseReply(const uint8_t* data, size_t size, BrokerReply* out) {
  Parse framing = Framing(data, size, kReplyMagic, kReplySize);
  if (framing != Parse::kComplete) return framing;
  int32_t status;
  uint32_t value;
  std::memcpy(&status, data + 8, sizeof status);
  std::memcpy(&value, data + 12, sizeof value);
  if (!KnownStatus(status)) return Parse::kMalformed;
  BrokerReply reply{static_cast<ReplyStatus>(status), value};
  if (reply.status == ReplyStatus::kGranted && (value == 0 || value > kMaxExportFds)) return Parse::kMalformed;
  if (reply.status == ReplyStatus::kNoDescriptors && value != EMFILE && value != ENFILE) return Parse::kMalformed;
  *out = reply;
  return Parse::kComplete;
}

void EncodeReply(const BrokerReply& reply, uint8_t out[kReplySize]) {
  int32_t status = static_cast<int32_t>(reply.status);
  std::memcpy(out, kReplyMagic, sizeof kReplyMagic);
  std::memcpy(out + 8, &status, sizeof status);
  std::memcpy(out + 12, &reply.value, sizeof reply.value);
}

Parse ParseConfirm(const uint8_t* data, size_t size) { return Framing(data, size, kConfirmMagic, kConfirmSize); }

void EncodeConfirm(uint8_t out[kConfirmSize]) { std::memcpy(out, kConfirmMagic, sizeof kConfirmMagic); }

}  // namespace eshm
