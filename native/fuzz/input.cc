// The helpers targets use to read their input and build their seeds.
#include "fuzz/fuzz.h"

#if defined(__SANITIZE_ADDRESS__)
#include <sanitizer/asan_interface.h>
#endif

namespace eshm {
namespace fuzz {

uint64_t Reader::Uint(int width) {
  uint64_t value = 0;
  for (int i = 0; i < width && size_ > 0; ++i, ++data_, --size_) value |= static_cast<uint64_t>(*data_) << (8 * i);
  return value;
}

void AppendUint(Bytes* out, uint64_t value, int width) {
  for (int i = 0; i < width; ++i) out->push_back(static_cast<uint8_t>(value >> (8 * i)));
}

#if defined(__SANITIZE_ADDRESS__)
void MarkUnreadable(const void* p, size_t n) { ASAN_POISON_MEMORY_REGION(p, n); }
void MarkReadable(const void* p, size_t n) { ASAN_UNPOISON_MEMORY_REGION(p, n); }
#else
void MarkUnreadable(const void*, size_t) {}
void MarkReadable(const void*, size_t) {}
#endif

}  // namespace fuzz
}  // namespace eshm
