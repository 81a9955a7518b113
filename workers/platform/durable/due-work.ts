/**
 * One alarm for all of a Durable Object's timed work. An object declares its work (the outbox, lease
 * expiry, pruning, ...): each says when it is next due and what to run. Hot paths only say "something is
 * due by t" (`dueBy`, synchronous, so it can sit inside a transaction) and then `arm()`, which touches
 * storage only when that is earlier than the alarm already pending: no query on the hot path. The alarm
 * and the cron tick both call `tick()`, which runs every work in declared order and re-arms the alarm at the
 * earliest time any work reports as next due; a tick already under way is joined, never run twice.
 *
 * In an object:
 *   this.outbox = new Outbox(sql, (events) => publish(env, events));   // add() asks for its own flush
 *   this.due = new DueWork(ctx, { clock: () => this.clock(), work: {
 *     expire: { nextDueAt: () => earliestDeadline(sql), run: (now) => expireDue(sql, now) },
 *     outbox: this.outbox,
 *   } });
 *   // in a method: transactionSync(() => { change; this.outbox.add(event); this.due.dueBy(deadline) });
 *   //              await this.due.arm();
 *   override async alarm() { await this.due.alarm(); }   // and tick() for the cron: this.due.tick()
 */

/**
 * Something an object must do at some time. `nextDueAt` may query: it is asked only after a tick. It must
 * account for everything a hot path asked `dueBy` for (it reads the same state), because a tick replaces
 * those requests with the earliest `nextDueAt`.
 */
export interface TimedWork<R = unknown> {
  /** When this work is next due on the object's clock, or null when nothing waits. */
  nextDueAt(now: number): number | null;
  /** Does whatever is due at `now`. */
  run(now: number): R | Promise<R>;
  /** Given once by the scheduler: lets the work ask for the alarm itself (e.g. the outbox on `add`). */
  bind?(requestIn: (delayMs: number) => void): void;
}

type Results<W extends Record<string, TimedWork>> = { [K in keyof W]: Awaited<ReturnType<W[K]["run"]>> };

export interface DueWorkOptions<W> {
  /** The object's clock; read through a function so a test that replaces `object.clock` moves it too. */
  clock: () => number;
  work: W;
  /**
   * "object" (default): alarms are set at the object's clock instant, so a test that runs the clock a day
   * ahead gets alarms that never fire by themselves. "real": alarms are set as a delay from real time, for
   * objects whose tests move the clock yet rely on the alarm firing (RateLimiter).
   */
  alarmTime?: "object" | "real";
}

export class DueWork<W extends Record<string, TimedWork>> {
  private readonly storage: DurableObjectStorage;
  private readonly clock: () => number;
  private readonly work: W;
  private readonly real: boolean;
  /** The pending alarm in real time as last set or read; null when none is known. */
  private alarmAt: number | null = null;
  /** The earliest real time asked for by `dueBy` and not yet armed. */
  private wanted: number | null = null;
  private running: Promise<Results<W>> | null = null;

  constructor(ctx: DurableObjectState, options: DueWorkOptions<W>) {
    this.storage = ctx.storage;
    this.clock = options.clock;
    this.work = options.work;
    this.real = options.alarmTime === "real";
    for (const w of Object.values(this.work)) w.bind?.((delayMs) => this.dueBy(this.clock() + delayMs));
    void ctx.blockConcurrencyWhile(async () => {
      this.alarmAt = await this.storage.getAlarm();
    });
  }

  /** Notes that work is due by `at` (object clock). Synchronous and query-free; `arm()` makes it so. */
  dueBy(at: number): void {
    const real = this.toReal(at);
    if (this.alarmAt !== null && this.alarmAt <= real) return;
    if (this.wanted === null || real < this.wanted) this.wanted = real;
  }

  /** Sets the alarm for what `dueBy` asked, if it is earlier than the pending one; else costs nothing. */
  async arm(): Promise<void> {
    const at = this.wanted;
    this.wanted = null;
    if (at === null || (this.alarmAt !== null && this.alarmAt <= at)) return;
    this.alarmAt = at;
    await this.storage.setAlarm(at);
  }

  /** `dueBy(at)` then `arm()`. */
  async armBy(at: number): Promise<void> {
    this.dueBy(at);
    await this.arm();
  }

  /** Runs all work now and re-arms for the earliest next due; joins a tick already under way. */
  tick(): Promise<Results<W>> {
    this.running ??= this.runAll().finally(() => {
      this.running = null;
    });
    return this.running;
  }

  /** The object's `alarm()` handler: the alarm that fired is gone, so it is forgotten before the tick. */
  async alarm(): Promise<Results<W>> {
    this.alarmAt = null;
    return this.tick();
  }

  private async runAll(): Promise<Results<W>> {
    const now = this.clock();
    const results: Partial<Record<keyof W, unknown>> = {};
    for (const [name, w] of Object.entries(this.work) as [keyof W, TimedWork][]) results[name] = await w.run(now);
    // Whatever the pending alarm and requests were, the work they stood for has just run, and what is left
    // shows in nextDueAt: arm afresh from that alone.
    this.alarmAt = null;
    this.wanted = null;
    let next: number | null = null;
    for (const w of Object.values(this.work)) {
      const due = w.nextDueAt(now);
      if (due !== null && (next === null || due < next)) next = due;
    }
    if (next !== null) this.dueBy(Math.max(next, now));
    await this.arm();
    return results as Results<W>;
  }

  private toReal(at: number): number {
    if (!this.real) return at;
    // The object's clock first, real time after: a millisecond ticking in between then lengthens the delay
    // rather than cutting it short (the alarm must never fire before the work is due).
    const delay = at - this.clock();
    return Date.now() + delay;
  }
}
