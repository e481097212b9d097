#include "core/broker_wire.h"

#include <gtest/gtest.h>

#include <cerrno>
#include <cstring>
#include <vector>

namespace eshm {
namespace {

std::vector<uint8_t> Request(uint64_t id) {
  BrokerRequest request;
  request.id = id;
  for (size_t i = 0; i < request.secret.size(); ++i) request.secret[i] = static_cast<uint8_t>(0xa0 + i);
  std::vector<uint8_t> bytes(kRequestSize);
  EncodeRequest(request, bytes.data());
  return bytes;
}

std::vector<uint8_t> Reply(ReplyStatus status, uint32_t value) {
  std::vector<uint8_t> bytes(kReplySize);
  EncodeReply(BrokerReply{status, value}, bytes.data());
  return bytes;
}

// Tests that a request reads back as written, and that every true prefix
// of it asks for more bytes.
TEST(BrokerWireTest, ParsesARequestWholeAndAsksForMoreOfAnyPrefix) {
  std::vector<uint8_t> bytes = Request(42);
  BrokerRequest got;
  ASSERT_EQ(ParseRequest(bytes.data(), bytes.size(), &got), Parse::kComplete);
  EXPECT_EQ(got.id, 42u);
  EXPECT_EQ(got.secret[0], 0xa0);
  EXPECT_EQ(got.secret[15], 0xaf);
  for (size_t size = 0; size < kRequestSize; ++size) {
    EXPECT_EQ(ParseRequest(bytes.data(), size, &got), Parse::kNeedMore) << size << " bytes";
  }
  EXPECT_EQ(ParseRequest(nullptr, 0, &got), Parse::kNeedMore);
}

// Tests that garbage is refused at its first wrong byte, without waiting
// for a whole request's worth.
TEST(BrokerWireTest, RefusesAWrongMagicAtItsFirstWrongByte) {
  std::vector<uint8_t> bytes = Request(1);
  BrokerRequest got;
  for (size_t at = 0; at < 8; ++at) {
    std::vector<uint8_t> bad = bytes;
    bad[at] ^= 0x20;
    EXPECT_EQ(ParseRequest(bad.data(), at + 1, &got), Parse::kMalformed) << "byte " << at;
    EXPECT_EQ(ParseRequest(bad.data(), bad.size(), &got), Parse::kMalformed) << "byte " << at;
  }
  const uint8_t version1[] = {'E', 'S', 'H', 'M', 'R', 'Q', '0', '1'};
  EXPECT_EQ(ParseRequest(version1, sizeof version1, &got), Parse::kMalformed) << "the protocol before confirmations";
}

// Tests that an id of 0 (ids start at 1) and a request with bytes after it
// are refused.
TEST(BrokerWireTest, RefusesIdZeroAndTrailingBytes) {
  BrokerRequest got;
  std::vector<uint8_t> zero = Request(0);
  EXPECT_EQ(ParseRequest(zero.data(), zero.size(), &got), Parse::kMalformed);
  std::vector<uint8_t> longer = Request(3);
  longer.push_back(0);
  EXPECT_EQ(ParseRequest(longer.data(), longer.size(), &got), Parse::kMalformed);
}

// Tests that replies read back as written, and that a reply no broker
// sends is refused.
TEST(BrokerWireTest, ParsesRepliesAndRefusesImpossibleOnes) {
  BrokerReply got;
  std::vector<uint8_t> granted = Reply(ReplyStatus::kGranted, 3);
  ASSERT_EQ(ParseReply(granted.data(), granted.size(), &got), Parse::kComplete);
  EXPECT_EQ(got.status, ReplyStatus::kGranted);
  EXPECT_EQ(got.value, 3u);
  EXPECT_EQ(ParseReply(granted.data(), 4, &got), Parse::kNeedMore);

  std::vector<uint8_t> enfile = Reply(ReplyStatus::kNoDescriptors, ENFILE);
  ASSERT_EQ(ParseReply(enfile.data(), enfile.size(), &got), Parse::kComplete);
  EXPECT_EQ(got.value, static_cast<uint32_t>(ENFILE));

  std::vector<std::vector<uint8_t>> impossible = {
      Reply(ReplyStatus::kGranted, 0),
      Reply(ReplyStatus::kGranted, kMaxExportFds + 1),
      Reply(ReplyStatus::kNoDescriptors, EINVAL),
      Reply(static_cast<ReplyStatus>(10), 0),
      Reply(static_cast<ReplyStatus>(-1), 0),
  };
  for (const auto& bytes : impossible) EXPECT_EQ(ParseReply(bytes.data(), bytes.size(), &got), Parse::kMalformed);
  // What a broker of protocol version 1 answered: a bare 4-byte status.
  const int32_t old_status = 5;
  EXPECT_EQ(ParseReply(reinterpret_cast<const uint8_t*>(&old_status), sizeof old_status, &got), Parse::kMalformed);
}

// Tests that a confirmation is its magic and nothing else.
TEST(BrokerWireTest, ParsesAConfirmation) {
  uint8_t bytes[kConfirmSize + 1] = {};
  EncodeConfirm(bytes);
  EXPECT_EQ(ParseConfirm(bytes, kConfirmSize), Parse::kComplete);
  EXPECT_EQ(ParseConfirm(bytes, 3), Parse::kNeedMore);
  EXPECT_EQ(ParseConfirm(bytes, kConfirmSize + 1), Parse::kMalformed);
  bytes[2] = 'x';
  EXPECT_EQ(ParseConfirm(bytes, 3), Parse::kMalformed);
}

}  // namespace
}  // namespace eshm
