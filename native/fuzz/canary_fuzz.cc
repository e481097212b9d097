// Planted bugs, to show that the fuzzer finds what it is there to find and
// says how to repeat it: an input that begins "BUG!" (the seed is "BUF!",
// one bit away) reads one byte past a heap buffer (for AddressSanitizer)
// or, built with ESHM_CANARY_UNDEFINED, overflows a signed int (for
// UndefinedBehaviorSanitizer). ctest passes these targets only if the
// report names the run and seed (native/fuzz/CMakeLists.txt).
#include <climits>
#include <cstring>

#include "fuzz/fuzz.h"

std::vector<eshm::fuzz::Bytes> FuzzSeeds() { return {{'B', 'U', 'F', '!', 1, 2, 3, 4}}; }

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size < 5 || std::memcmp(data, "BUG!", 4) != 0) return 0;
#if defined(ESHM_CANARY_UNDEFINED)
  volatile int sum = INT_MAX;
  sum = sum + (data[4] | 1);
#else
  auto* copy = new uint8_t[size];
  std::memcpy(copy, data, size);
  volatile uint8_t past_the_end = copy[size];
  (void)past_the_end;
  delete[] copy;
#endif
  return 0;
}
