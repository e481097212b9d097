// Resizable shared memory (after ccan rszshm): the file begins with one page
// of header that holds the data's size and the span it may grow to; the
// data follows. Every process maps the data into an address span it
// reserved once, and grows its mapping in place when the size grows, so
// nothing already mapped moves. Linux implementation in resizable_linux.cc.
#pragma once

#include <cstdint>

#include "core/status.h"

namespace eshm {

// Bytes before the data: one page, the header.
uint64_t ResizableDataOffset();

// Writes a new header to an empty file: `size` bytes of data that may grow
// to `span`, and sizes the file to hold them.
Status InitResizable(int fd, uint64_t size, uint64_t span);

// Reads the header (under a shared lock) and checks it against the file.
// The header is shared, so any process of the map can write anything in
// it: `expected_span` is the span this process read when it opened the map
// (a span never changes), or 0 when it opens it now. ERR_NOT_RESIZABLE if
// the file has no header and `expected_span` is 0; ERR_MAP_CORRUPT if the
// header is not one this module could have written: no header any more,
// another span, a size of 0, past the span, or past the end of the file
// (whose pages are not there: a SIGBUS at the first touch).
Status ReadResizable(int fd, uint64_t expected_span, uint64_t* size, uint64_t* span);

// Makes the data at least `wanted` bytes (under an exclusive lock, so that
// processes growing at once agree): if another process grew it further
// already, nothing changes. `*now` is the size after. ERR_SPAN_EXCEEDED
// if `wanted` passes the span; ERR_MAP_CORRUPT as ReadResizable, against
// `span`, the span this process read when it opened the map.
Status GrowResizable(int fd, uint64_t wanted, uint64_t span, uint64_t* now);

}  // namespace eshm
