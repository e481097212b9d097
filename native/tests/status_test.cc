#include "core/status.h"

#include <fcntl.h>
#include <gtest/gtest.h>

#include <cctype>
#include <cerrno>
#include <string>
#include <vector>

#include "core/frame_channel.h"
#include "core/named_shm.h"
#include "core/unique_fd.h"
#include "core/wake_socket.h"

namespace eshm {
namespace {

// Tests that a failed system call's message names the call, the error's
// text and its errno name, then the detail after a colon.
TEST(Status, AFailedSystemCallNamesTheCallTheErrorAndTheDetail) {
  Status s = Status::Sys("mmap", EACCES, "The memory is read-only");
  EXPECT_EQ(s.Message(), "The system call mmap failed: Permission denied (EACCES): The memory is read-only");
  EXPECT_EQ(s.CodeName(), "EACCES");
  EXPECT_FALSE(s.ok());
  EXPECT_EQ(Status::Sys("shm_open", ENOENT).Message(),
            "The system call shm_open failed: No such file or directory (ENOENT)");
}

// Tests that the project's own failure has its code, and its detail for a
// message.
TEST(Status, AnOwnFailureIsItsCodeAndItsSentence) {
  Status s = Status::Own("ERR_CLOSED", "The frame channel is closed");
  EXPECT_EQ(s.Message(), "The frame channel is closed");
  EXPECT_EQ(s.CodeName(), "ERR_CLOSED");
  EXPECT_FALSE(s.ok());
  EXPECT_TRUE(Status::Ok().ok());
  EXPECT_EQ(Status::Sys("read", 4000).CodeName(), "E4000");
}

// Tests that messages of real failures, of a system call and of the
// project's own kind, are sentences that begin with a capital letter.
TEST(Status, MessagesOfRealFailuresBeginWithACapital) {
  std::vector<Status> failures;
  NamedSegment segment;
  failures.push_back(OpenNamed("/eshm-status-test-missing", 4096, NamedOpenOptions{}, &segment));
  UniqueFd null(open("/dev/null", O_RDONLY | O_CLOEXEC));
  failures.push_back(CheckWakeSocket(null.get()));
  std::vector<uint8_t> zeros(frames::HeaderBytes());
  frames::Geometry g;
  failures.push_back(frames::ReadGeometry(reinterpret_cast<frames::Header*>(zeros.data()), zeros.size(), 1, &g));
  failures.push_back(frames::CheckHeaderFits(1));
  for (const Status& s : failures) {
    ASSERT_FALSE(s.ok());
    const std::string message = s.Message();
    ASSERT_FALSE(message.empty());
    EXPECT_TRUE(std::isupper(static_cast<unsigned char>(message[0]))) << message;
  }
  EXPECT_EQ(failures[0].Message().rfind("The system call shm_open failed: ", 0), 0u) << failures[0].Message();
}

}  // namespace
}  // namespace eshm
