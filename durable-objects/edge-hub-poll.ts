/**
 * The in-memory half of EdgeHub's long-poll channel and of `awaitCommand`: sets of waiters woken when work
 * arrives, cancels kept for the next poll, and when each job or command was last handed to a poll (so a
 * device working on one is not sent it again on every poll). Memory only, by design: after an eviction a
 * poll simply gets everything open again, which at-least-once delivery allows.
 */

/** A frame handed to a poll and not yet acked or answered is handed out again after this long. */
export const POLL_REDELIVER_MS = 30_000;
const OUTBOX_MAX = 100;

/** Callers waiting for something to happen; each wait ends when woken or after its own timeout. */
export class Waiters {
  private readonly waiting = new Set<() => void>();

  get size(): number {
    return this.waiting.size;
  }

  wake(): void {
    for (const resolve of [...this.waiting]) resolve();
  }

  /** Resolves when woken or after `ms`, whichever is first. */
  wait(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const done = () => {
        clearTimeout(timer);
        this.waiting.delete(done);
        resolve();
      };
      const timer = setTimeout(done, ms);
      this.waiting.add(done);
    });
  }
}

export class PollChannel {
  readonly waiters = new Waiters();
  private outbox: string[] = [];
  private readonly handedAt = new Map<string, number>();

  /** Keeps a frame that has no table of its own (a cancel) for the next poll, and wakes a waiting one. */
  push(frame: string): void {
    this.outbox = [...this.outbox, frame].slice(-OUTBOX_MAX);
    this.waiters.wake();
  }

  drain(): string[] {
    const frames = this.outbox;
    this.outbox = [];
    return frames;
  }

  /** True (and noted) when `key` was not handed to a poll within the redelivery window. */
  hand(key: string, now: number): boolean {
    const at = this.handedAt.get(key);
    if (at !== undefined && now - at < POLL_REDELIVER_MS) return false;
    this.handedAt.set(key, now);
    return true;
  }

  forget(key: string): void {
    this.handedAt.delete(key);
  }
}
