/**
 * Calls `tick` `fps` times a second. Each tick is due at start + n / fps,
 * so a late tick does not push the next ones later; after a stall longer
 * than a frame the clock starts again from now rather than catching up in
 * a burst.
 */
export class FrameClock {
  readonly #tick: () => void;
  #fps: number;
  #timer: NodeJS.Timeout | undefined;
  #start = 0;
  #ticks = 0;

  constructor(fps: number, tick: () => void) {
    this.#fps = fps;
    this.#tick = tick;
  }

  get running(): boolean {
    return this.#timer !== undefined;
  }

  setFps(fps: number): void {
    this.#fps = fps;
    if (this.running) this.start();
  }

  start(): void {
    this.stop();
    this.#start = performance.now();
    this.#ticks = 0;
    this.#schedule();
  }

  stop(): void {
    clearTimeout(this.#timer);
    this.#timer = undefined;
  }

  #schedule(): void {
    const period = 1000 / this.#fps;
    let due = this.#start + this.#ticks * period;
    const now = performance.now();
    if (now - due > period) {
      this.#start = now;
      this.#ticks = 0;
      due = now;
    }
    this.#timer = setTimeout(() => {
      this.#ticks++;
      this.#tick();
      if (this.#timer !== undefined) this.#schedule();
    }, Math.max(0, due - now));
  }
}
