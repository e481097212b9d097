#include "core/broker.h"

#include <gtest/gtest.h>
#include <sys/eventfd.h>
#include <sys/wait.h>
#include <unistd.h>

#include "core/shared_file.h"

namespace eshm {
namespace {

class BrokerTest : public ::testing::Test {
 protected:
  void SetUp() override { ASSERT_TRUE(CreateAnonymousFile(4096, "/tmp", true, &fd_).ok()); }
  UniqueFd fd_;
};

// Tests that an export is fetched as a descriptor of the same memory.
TEST_F(BrokerTest, FetchesTheSameMemory) {
  ExportTicket ticket;
  ASSERT_TRUE(Export({fd_.get()}, ExportPolicy{}, &ticket).ok());
  EXPECT_TRUE(BrokerRunning());
  Received got;
  ASSERT_TRUE(Fetch(ticket, 2000, &got).ok());
  FileInfo info;
  ASSERT_TRUE(DescribeFile(got.fd.get(), &info).ok());
  EXPECT_EQ(info.size, 4096u);
  EXPECT_TRUE(Revoke(ticket.id));
  EXPECT_FALSE(Revoke(ticket.id));
  EXPECT_FALSE(BrokerRunning()) << "the broker stops with its last export";
  EXPECT_EQ(LiveExports(), 0u);
}

// Tests that the descriptors exported with the memory arrive with it, in
// order: what a frame channel's eventfds rely on.
TEST_F(BrokerTest, CarriesCompanionDescriptorsInOrder) {
  UniqueFd a(eventfd(5, EFD_CLOEXEC)), b(eventfd(7, EFD_CLOEXEC));
  ExportTicket ticket;
  ASSERT_TRUE(Export({fd_.get(), a.get(), b.get()}, ExportPolicy{}, &ticket).ok());
  Received got;
  ASSERT_TRUE(Fetch(ticket, 2000, &got).ok());
  ASSERT_EQ(got.companions.size(), 2u);
  uint64_t value = 0;
  ASSERT_EQ(read(got.companions[0].get(), &value, sizeof value), 8);
  EXPECT_EQ(value, 5u);
  ASSERT_EQ(read(got.companions[1].get(), &value, sizeof value), 8);
  EXPECT_EQ(value, 7u);
  EXPECT_TRUE(Revoke(ticket.id));
}

// Tests that each refusal carries its code.
TEST_F(BrokerTest, RefusesWrongSecretRevokedAndUsedUpExports) {
  ExportTicket keep;
  ASSERT_TRUE(Export({fd_.get()}, ExportPolicy{}, &keep).ok());
  ExportTicket forged = keep;
  forged.secret[0] ^= 1;
  Received got;
  EXPECT_EQ(Fetch(forged, 2000, &got).CodeName(), "ERR_HANDLE_INVALID");
  ExportTicket unknown = keep;
  unknown.id = 1u << 30;
  EXPECT_EQ(Fetch(unknown, 2000, &got).CodeName(), "ERR_HANDLE_INVALID");

  ExportTicket once;
  ExportPolicy policy;
  policy.once = true;
  ASSERT_TRUE(Export({fd_.get()}, policy, &once).ok());
  EXPECT_TRUE(Fetch(once, 2000, &got).ok());
  EXPECT_EQ(Fetch(once, 2000, &got).CodeName(), "ERR_HANDLE_REVOKED");

  ExportTicket bound;
  policy.once = false;
  policy.pid = getpid() + 1;
  ASSERT_TRUE(Export({fd_.get()}, policy, &bound).ok());
  EXPECT_EQ(Fetch(bound, 2000, &got).CodeName(), "EACCES");

  Revoke(bound.id);
  Revoke(keep.id);
  EXPECT_EQ(Fetch(keep, 2000, &got).CodeName(), "ERR_HANDLE_REVOKED");
}

// Tests that a child process reaches the broker by the ticket alone.
TEST_F(BrokerTest, ServesAnotherProcess) {
  ExportTicket ticket;
  ASSERT_TRUE(Export({fd_.get()}, ExportPolicy{}, &ticket).ok());
  pid_t child = fork();
  if (child == 0) {
    Received got;
    Status s = Fetch(ticket, 2000, &got);
    _exit(s.ok() ? 0 : 1);
  }
  int status = 0;
  ASSERT_EQ(waitpid(child, &status, 0), child);
  EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0);
  Revoke(ticket.id);
}

}  // namespace
}  // namespace eshm
