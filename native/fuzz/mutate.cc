#include "fuzz/mutate.h"

#include <algorithm>

namespace eshm {
namespace fuzz {
namespace {

const int kWidths[] = {1, 2, 4, 8};

// Where parsers go wrong: zero, one, all ones, the signed and unsigned
// limits of every width, and their neighbours.
const uint64_t kBoundaries[] = {
    0, 1, 2, 3, 4, 7, 8, 16, 31, 32, 63, 64, 65, 127, 128, 255, 256, 4095, 4096, 4097, 0x7fff, 0x8000, 0xffff, 0x10000,
    0x7fffffff, 0x80000000, 0xffffffff, 0x100000000, 0x7fffffffffffffff, 0x8000000000000000, 0xffffffffffffffff,
    0xfffffffffffffffe, 0xffffffffffffffc0};

uint64_t Boundary(Rng& rng) {
  if (rng.OneIn(3)) {
    // 2^k, 2^k - 1 or 2^k + 1, for any k: the sizes that overflow a sum or product.
    uint64_t power = 1ull << rng.Below(64);
    return power + rng.Below(3) - 1;
  }
  uint64_t value = kBoundaries[rng.Below(std::size(kBoundaries))];
  return rng.OneIn(4) ? 0 - value : value;
}

// An offset where `width` bytes fit, aligned to `width` half the time
// (where a struct's fields are); grows the input if it is shorter.
size_t PlaceFor(Rng& rng, Bytes& input, int width) {
  if (input.size() < static_cast<size_t>(width)) input.resize(width);
  if (rng.OneIn(2)) return rng.Below(input.size() / width) * width;
  return rng.Below(input.size() - width + 1);
}

void WriteUint(Bytes& input, size_t at, uint64_t value, int width, bool big_endian) {
  for (int i = 0; i < width; ++i) {
    int shift = 8 * (big_endian ? width - 1 - i : i);
    input[at + i] = static_cast<uint8_t>(value >> shift);
  }
}

uint64_t ReadUint(const Bytes& input, size_t at, int width) {
  uint64_t value = 0;
  for (int i = 0; i < width; ++i) value |= static_cast<uint64_t>(input[at + i]) << (8 * i);
  return value;
}

Bytes RandomBytes(Rng& rng, size_t max_size) {
  Bytes bytes(rng.Below(rng.Below(max_size + 1) + 1));  // mostly short
  for (uint8_t& b : bytes) b = static_cast<uint8_t>(rng.Next());
  return bytes;
}

void FlipBit(Rng& rng, Bytes& input) {
  if (input.empty()) input.push_back(0);
  input[rng.Below(input.size())] ^= static_cast<uint8_t>(1u << rng.Below(8));
}

void SetByte(Rng& rng, Bytes& input) {
  if (input.empty()) input.push_back(0);
  input[rng.Below(input.size())] = static_cast<uint8_t>(rng.Next());
}

void SetBoundary(Rng& rng, Bytes& input) {
  int width = kWidths[rng.Below(4)];
  size_t at = PlaceFor(rng, input, width);
  WriteUint(input, at, Boundary(rng), width, rng.OneIn(4));
}

void AddSmall(Rng& rng, Bytes& input) {
  int width = kWidths[rng.Below(4)];
  size_t at = PlaceFor(rng, input, width);
  uint64_t delta = rng.Below(16) + 1;
  uint64_t value = ReadUint(input, at, width);
  WriteUint(input, at, rng.OneIn(2) ? value + delta : value - delta, width, false);
}

void Insert(Rng& rng, Bytes& input) {
  size_t at = rng.Below(input.size() + 1);
  size_t count = rng.Below(16) + 1;
  uint8_t fill = static_cast<uint8_t>(rng.Next());
  bool random = rng.OneIn(2);
  Bytes run(count, fill);
  if (random) {
    for (uint8_t& b : run) b = static_cast<uint8_t>(rng.Next());
  }
  input.insert(input.begin() + at, run.begin(), run.end());
}

void Erase(Rng& rng, Bytes& input) {
  if (input.empty()) return;
  size_t at = rng.Below(input.size());
  size_t count = std::min<size_t>(rng.Below(16) + 1, input.size() - at);
  input.erase(input.begin() + at, input.begin() + at + count);
}

void Repeat(Rng& rng, Bytes& input) {
  if (input.empty()) return;
  size_t at = rng.Below(input.size());
  size_t count = std::min<size_t>(rng.Below(32) + 1, input.size() - at);
  Bytes chunk(input.begin() + at, input.begin() + at + count);
  input.insert(input.begin() + rng.Below(input.size() + 1), chunk.begin(), chunk.end());
}

// A run of another seed copied over this input, or this input's head
// joined to another's tail.
void Splice(Rng& rng, Bytes& input, const std::vector<Bytes>& seeds) {
  const Bytes& other = seeds[rng.Below(seeds.size())];
  if (other.empty()) return;
  if (rng.OneIn(2)) {
    size_t from = rng.Below(other.size());
    size_t count = rng.Below(other.size() - from) + 1;
    size_t at = rng.Below(input.size() + 1);
    if (input.size() < at + count) input.resize(at + count);
    std::copy(other.begin() + from, other.begin() + from + count, input.begin() + at);
  } else {
    input.resize(rng.Below(input.size() + 1));
    input.insert(input.end(), other.begin() + rng.Below(other.size()), other.end());
  }
}

void Truncate(Rng& rng, Bytes& input) { input.resize(rng.Below(input.size() + 1)); }

}  // namespace

uint64_t Rng::Next() {
  uint64_t z = (state_ += 0x9e3779b97f4a7c15ull);
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
  return z ^ (z >> 31);
}

Bytes Mutant(Rng& rng, const std::vector<Bytes>& seeds, size_t max_size) {
  Bytes input = rng.OneIn(64) ? RandomBytes(rng, max_size) : seeds[rng.Below(seeds.size())];
  // Mostly changes in place, which keep a struct's fields where they are;
  // fewer that move or cut bytes.
  for (uint64_t n = rng.Below(8) + 1; n > 0; --n) {
    uint64_t pick = rng.Below(20);
    if (pick < 5) {
      FlipBit(rng, input);
    } else if (pick < 7) {
      SetByte(rng, input);
    } else if (pick < 11) {
      SetBoundary(rng, input);
    } else if (pick < 13) {
      AddSmall(rng, input);
    } else if (pick < 15) {
      rng.OneIn(2) ? Insert(rng, input) : Erase(rng, input);
    } else if (pick < 16) {
      Repeat(rng, input);
    } else if (pick < 19) {
      Splice(rng, input, seeds);
    } else {
      Truncate(rng, input);
    }
  }
  if (input.size() > max_size) input.resize(max_size);
  return input;
}

}  // namespace fuzz
}  // namespace eshm
