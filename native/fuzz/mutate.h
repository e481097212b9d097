// The fuzzer's inputs: a seeded generator and the mutations it applies to
// valid inputs. Everything here depends on the seed alone (no library
// distribution, whose results differ between standard libraries), so one
// seed gives the same inputs on every machine.
#pragma once

#include <cstdint>
#include <vector>

#include "fuzz/fuzz.h"

namespace eshm {
namespace fuzz {

// SplitMix64 (Steele, Lea, Flood 2014): tiny, fast, and good enough to
// choose mutations; not for secrets.
class Rng {
 public:
  explicit Rng(uint64_t seed) : state_(seed) {}
  uint64_t Next();
  // Uniform in [0, n); n > 0. (The modulo bias is below 2^-40 for our n.)
  uint64_t Below(uint64_t n) { return Next() % n; }
  bool OneIn(uint64_t n) { return Below(n) == 0; }

 private:
  uint64_t state_;
};

// A new input: one of `seeds` (or, rarely, random bytes) with one to eight
// mutations stacked: bit flips, random bytes, boundary integers (0, 1, -1,
// the signed and unsigned limits of 8 to 64 bits, powers of two and their
// neighbours) written at aligned or unaligned offsets in either byte order,
// small additions to integers, inserted, erased and repeated runs, splices
// with another seed, truncation. Never longer than `max_size`.
Bytes Mutant(Rng& rng, const std::vector<Bytes>& seeds, size_t max_size);

}  // namespace fuzz
}  // namespace eshm
