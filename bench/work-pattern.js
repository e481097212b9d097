// The work of bench/work.ts: the publisher writes every pixel of a frame
// (its sequence number in each), a subscriber reads every pixel (a sum).
function fill(pixels, sequence) {
  pixels.fill(sequence);
}

function checksum(pixels) {
  let sum = 0;
  for (let i = 0; i < pixels.length; i++) sum = (sum + pixels[i]) | 0;
  return sum;
}

/** What checksum() finds in a frame of 1080p RGBA filled with `sequence`. */
function expected(sequence) {
  return Math.imul(sequence, 1920 * 1080) | 0;
}

module.exports = { fill, checksum, expected };
