// Preloaded into a Node fixture (LD_PRELOAD) by test/013.views.map-count.test.ts:
// before Node starts, uses up the process's count of mappings
// (vm.max_map_count, a limit for each process but set for the whole
// machine) so that only ESHM_TEST_LEAVE_MAPS more fit, cheaply: one
// PROT_NONE region cut into separate mappings by readable pages, one
// mprotect for two mappings. Nothing is committed. Then takes itself and
// its variable out of the environment, so no child inherits them.
#include <sys/mman.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>

namespace {

long ReadMax() {
  FILE* file = std::fopen("/proc/sys/vm/max_map_count", "re");
  long max = -1;
  if (file == nullptr || std::fscanf(file, "%ld", &max) != 1) max = -1;
  if (file != nullptr) std::fclose(file);
  return max;
}

long CountMappings() {
  FILE* maps = std::fopen("/proc/self/maps", "re");
  long lines = 0;
  for (int c; maps != nullptr && (c = std::fgetc(maps)) != EOF;) lines += c == '\n';
  if (maps != nullptr) std::fclose(maps);
  return lines;
}

__attribute__((constructor)) void UseUpMappings() {
  const char* leave = std::getenv("ESHM_TEST_LEAVE_MAPS");
  if (leave == nullptr) return;
  const long cuts = (ReadMax() - CountMappings() - std::atol(leave)) / 2;
  unsetenv("ESHM_TEST_LEAVE_MAPS");
  unsetenv("LD_PRELOAD");
  if (cuts <= 0) return;
  const long page = sysconf(_SC_PAGESIZE);
  auto* region = static_cast<char*>(mmap(nullptr, (2 * cuts + 1) * page, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0));
  if (region == MAP_FAILED) return;
  for (long i = 0; i < cuts; ++i) {
    if (mprotect(region + (2 * i + 1) * page, page, PROT_READ) != 0) break;
  }
}

}  // namespace
