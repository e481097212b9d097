// A small deterministic mutation fuzzer for the core's parsers of untrusted
// bytes (what another process writes into shared memory or sends to the
// broker). Built only with the sanitizers (ESHM_SANITIZE), run by ctest;
// how to add a target and repeat a failure: native/fuzz/README.md.
//
// A target is one file that defines the two functions below; the driver
// (driver.cc) supplies main(). The entry point has libFuzzer's name and
// signature, so the same file also runs under libFuzzer or AFL++ where a
// compiler offers them.
#pragma once

#include <cstddef>
#include <cstdint>
#include <vector>

namespace eshm {
namespace fuzz {

using Bytes = std::vector<uint8_t>;

// Called from FUZZ_CHECK: reports the input that broke `what`, with the
// seed and run that repeat it, and exits with status 1.
[[noreturn]] void Failed(const char* file, int line, const char* what);

// Reads little-endian integers off the front of an input; past its end,
// the missing bytes read as zero (so every input means something).
class Reader {
 public:
  Reader(const uint8_t* data, size_t size) : data_(data), size_(size) {}
  uint64_t Uint(int width);
  const uint8_t* rest() const { return data_; }
  size_t rest_size() const { return size_; }

 private:
  const uint8_t* data_;
  size_t size_;
};

// Appends `value` as `width` little-endian bytes (for building seeds).
void AppendUint(Bytes* out, uint64_t value, int width);

// Makes [p, p + n) unreadable, or readable again, to AddressSanitizer: for
// memory that exists in the test but would not in a real process (say,
// bytes past the end of a map). Does nothing without AddressSanitizer.
void MarkUnreadable(const void* p, size_t n);
void MarkReadable(const void* p, size_t n);

}  // namespace fuzz
}  // namespace eshm

// Defined by each target: the valid inputs the driver mutates (at least one).
std::vector<eshm::fuzz::Bytes> FuzzSeeds();

// Defined by each target: runs the code under test on one input and checks
// with FUZZ_CHECK what must hold. Returns 0 (libFuzzer's convention).
extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size);

// What must hold for every input; a failure is reported with the input.
#define FUZZ_CHECK(condition, what) \
  ((condition) ? (void)0 : ::eshm::fuzz::Failed(__FILE__, __LINE__, what))
