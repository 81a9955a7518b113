/**
 * `max_concurrent_queries`: a count of GraphQL operations running in this isolate. Past the limit a request
 * is refused at once (429 + Retry-After) rather than queued behind work that already misses its 50 ms. The
 * hooks let a test or a bench hold operations open or slow resolvers without timing tricks.
 */

let running = 0;

export interface ExecutionHooks {
  /** Awaited once an operation holds its slot, before its time budget starts. */
  afterAdmit?: (() => Promise<void>) | undefined;
  /** Awaited by every resolver before it reads (inside the time budget). */
  beforeResolve?: (() => Promise<void>) | undefined;
}

/** Empty in production; tests set and clear them. */
export const executionHooks: ExecutionHooks = {};

/** A release function when admitted, null when `limit` operations are already running. */
export function admit(limit: number): (() => void) | null {
  if (running >= limit) return null;
  running += 1;
  let released = false;
  return () => {
    if (released) return;
    released = true;
    running -= 1;
  };
}

export function runningOperations(): number {
  return running;
}
