/**
 * Reconnect delays: full-jitter exponential backoff (a uniform draw in [0, min(cap, base·2^attempt))), so a
 * fleet of Pis that lost the hub at the same moment does not come back in lock-step. The random source is
 * injectable so tests can pin the draw.
 */

export interface BackoffOptions {
  /** First ceiling, in milliseconds. */
  baseMs: number;
  /** Largest delay ever returned, in milliseconds. */
  maxMs: number;
  /** A uniform draw in [0, 1); Math.random by default. */
  random?: () => number;
}

/** The ceiling for a 0-based attempt: base·2^attempt, capped (and safe for huge attempt counts). */
export function backoffCeiling(attempt: number, options: Pick<BackoffOptions, "baseMs" | "maxMs">): number {
  if (!Number.isInteger(attempt) || attempt < 0) throw new RangeError(`attempt must be a whole number ≥ 0`);
  validate(options);
  // 2^attempt overflows to Infinity past ~1023, and Math.min copes with Infinity, so no special case is needed.
  return Math.min(options.maxMs, options.baseMs * 2 ** attempt);
}

/** One full-jitter delay for a 0-based attempt, a whole number of milliseconds in [0, ceiling). */
export function fullJitterDelay(attempt: number, options: BackoffOptions): number {
  const ceiling = backoffCeiling(attempt, options);
  const draw = (options.random ?? Math.random)();
  if (!(draw >= 0 && draw < 1)) throw new RangeError(`random() must return a number in [0, 1), got ${draw}`);
  return Math.floor(draw * ceiling);
}

/** Stateful wrapper: next() for each failed attempt, reset() once a connection has held. */
export class Backoff {
  #attempt = 0;
  readonly #options: BackoffOptions;

  constructor(options: BackoffOptions) {
    validate(options);
    this.#options = options;
  }

  /** Failed attempts since the last reset. */
  get attempts(): number {
    return this.#attempt;
  }

  next(): number {
    const delay = fullJitterDelay(this.#attempt, this.#options);
    this.#attempt += 1;
    return delay;
  }

  reset(): void {
    this.#attempt = 0;
  }
}

function validate(options: Pick<BackoffOptions, "baseMs" | "maxMs">): void {
  if (!(options.baseMs > 0) || !Number.isFinite(options.baseMs)) throw new RangeError("baseMs must be > 0");
  if (!(options.maxMs >= options.baseMs) || !Number.isFinite(options.maxMs)) {
    throw new RangeError("maxMs must be ≥ baseMs");
  }
}
