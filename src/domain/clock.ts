/** Time comes through a clock so tests can move it instead of sleeping. */
export interface Clock {
  now(): number;
  /** Waits ms; a manual clock moves on by ms instead, so tests see the wait without spending it. */
  sleep(ms: number): Promise<void>;
}

export const systemClock: Clock = { now: () => Date.now(), sleep: (ms) => new Promise((resolve) => setTimeout(resolve, ms)) };

export class ManualClock implements Clock {
  constructor(private t: number = Date.UTC(2026, 10, 29, 4, 0, 0)) {}
  now(): number {
    return this.t;
  }
  set(t: number): void {
    this.t = t;
  }
  advance(ms: number): void {
    this.t += ms;
  }
  async sleep(ms: number): Promise<void> {
    this.t += ms;
  }
}
