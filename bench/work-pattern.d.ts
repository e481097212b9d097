// Types of work-pattern.js, which stays JavaScript: worker threads of every runtime load it.
export function fill(pixels: Uint32Array, sequence: number): void;
export function checksum(pixels: Uint32Array): number;
export function expected(sequence: number): number;
