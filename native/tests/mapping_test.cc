#include "core/mapping.h"

#include <gtest/gtest.h>
#include <cerrno>
#include <sys/mman.h>

#include "core/shared_file.h"

namespace eshm {
namespace {

// Tests that shared pages placed over private memory are the shared bytes,
// and that restoring leaves zeroed private pages that share nothing.
TEST(Mapping, PlacesAndRemovesSharedPagesAtAFixedAddress) {
  const size_t page = PageSize();
  UniqueFd fd;
  ASSERT_TRUE(CreateAnonymousFile(2 * page, "/tmp", true, &fd).ok());
  auto* other = static_cast<unsigned char*>(mmap(nullptr, 2 * page, PROT_READ | PROT_WRITE, MAP_SHARED, fd.get(), 0));
  ASSERT_NE(other, MAP_FAILED);

  // Stands in for the V8-owned buffer: private memory we own.
  auto* area = static_cast<unsigned char*>(mmap(nullptr, 3 * page, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0));
  ASSERT_NE(area, MAP_FAILED);
  area[page] = 1;
  ASSERT_TRUE(MapSharedAt(area + page, page + 10, fd.get(), 0, false).ok());
  area[page + 5] = 55;
  EXPECT_EQ(other[5], 55);
  EXPECT_EQ(area[page], 0) << "the private byte was replaced by the shared page";

  ASSERT_TRUE(RestorePrivateAt(area + page, page + 10).ok());
  EXPECT_EQ(area[page + 5], 0);
  area[page + 5] = 66;
  EXPECT_EQ(other[5], 55);
  munmap(area, 3 * page);
  munmap(other, 2 * page);
}

// Tests that a failed placement leaves private pages, never a hole.
TEST(Mapping, FailedPlacementLeavesPrivatePages) {
  const size_t page = PageSize();
  auto* area = static_cast<unsigned char*>(mmap(nullptr, page, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0));
  ASSERT_NE(area, MAP_FAILED);
  Status s = MapSharedAt(area, page, -1, 0, false);
  EXPECT_EQ(s.err, EBADF);
  EXPECT_STREQ(s.syscall, "mmap");
  area[0] = 1;  // would fault if the range had been left unmapped
  EXPECT_EQ(area[0], 1);
  munmap(area, page);
}

// Tests that the last resort of an ending environment leaves nothing
// shared: the range is gone from the address space (mincore reports
// ENOMEM for unmapped memory), while the pages around it stay.
TEST(Mapping, UnmapRangeTakesTheSharedPagesAway) {
  const size_t page = PageSize();
  UniqueFd fd;
  ASSERT_TRUE(CreateAnonymousFile(page, "/tmp", true, &fd).ok());
  auto* area = static_cast<unsigned char*>(mmap(nullptr, 3 * page, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0));
  ASSERT_NE(area, MAP_FAILED);
  ASSERT_TRUE(MapSharedAt(area + page, page, fd.get(), 0, false).ok());
  ASSERT_TRUE(UnmapRange(area + page, 10).ok());
  unsigned char resident = 0;
  EXPECT_EQ(mincore(area + page, page, &resident), -1);
  EXPECT_EQ(errno, ENOMEM);
  area[0] = 1;
  area[2 * page] = 1;
  EXPECT_EQ(area[0] + area[2 * page], 2);
  munmap(area, 3 * page);
}

TEST(Mapping, RoundsUpToWholePages) {
  const uint64_t page = PageSize();
  EXPECT_EQ(RoundUpToPage(1), page);
  EXPECT_EQ(RoundUpToPage(page), page);
  EXPECT_EQ(RoundUpToPage(page + 1), 2 * page);
}

}  // namespace
}  // namespace eshm
