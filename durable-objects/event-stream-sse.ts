/**
 * Server-Sent Events subscribers of the EventStream. Unlike hibernatable WebSockets they live only in
 * memory: each holds the writer of the stream its response reads from. The hub keeps them, sends the
 * `: keep-alive` comment that stops proxies from timing an idle stream out, and forgets a subscriber as
 * soon as its stream is cancelled, errors, or falls too far behind.
 */
import type { LogRow } from "./event-stream-log";
import { sseMessage, type StreamFilter } from "./event-stream-protocol";

/** A subscriber this many chunks behind is cut off; it reconnects with Last-Event-ID and replays instead. */
const MAX_QUEUED_CHUNKS = 1024;
const encoder = new TextEncoder();

export class SseSubscriber {
  /** False while its replay runs: live fan-out skips it until the replay has caught up. */
  live = false;
  closed = false;
  readonly readable: ReadableStream<Uint8Array>;
  private readonly writer: WritableStreamDefaultWriter<Uint8Array>;

  constructor(
    readonly filter: StreamFilter,
    private readonly onGone: (sub: SseSubscriber) => void,
  ) {
    const { readable, writable } = new TransformStream<Uint8Array, Uint8Array>(undefined, { highWaterMark: 16 });
    this.readable = readable;
    this.writer = writable.getWriter();
    // Rejects when the client goes away (the readable side is cancelled): that is the disconnect signal.
    this.writer.closed.then(
      () => this.gone(),
      () => this.gone(),
    );
  }

  send(row: LogRow): void {
    this.write(sseMessage(row.seq, row.subject, row.frame));
  }

  comment(text: string): void {
    this.write(`: ${text}\n\n`);
  }

  write(text: string): void {
    if (this.closed) return;
    if ((this.writer.desiredSize ?? 0) < -MAX_QUEUED_CHUNKS) {
      this.close();
      return;
    }
    this.writer.write(encoder.encode(text)).catch(() => this.gone());
  }

  /** Resolves once the client has read enough that more may be written (replay's backpressure). */
  async drain(): Promise<void> {
    await this.writer.ready.catch(() => this.gone());
  }

  close(): void {
    if (this.closed) return;
    this.writer.close().catch(() => this.gone());
    this.gone();
  }

  private gone(): void {
    if (this.closed) return;
    this.closed = true;
    this.onGone(this);
  }
}

export class SseHub {
  private readonly subscribers = new Set<SseSubscriber>();
  private timer: ReturnType<typeof setInterval> | null = null;
  private intervalMs = 15_000;

  /** How often streams get a comment; tests shorten it. A running timer picks up the new period. */
  get keepAliveMs(): number {
    return this.intervalMs;
  }

  set keepAliveMs(ms: number) {
    this.intervalMs = ms;
    if (this.timer === null) return;
    clearInterval(this.timer);
    this.timer = setInterval(() => this.keepAlive(), ms);
  }

  get size(): number {
    return this.subscribers.size;
  }

  open(filter: StreamFilter): SseSubscriber {
    const sub = new SseSubscriber(filter, (s) => this.remove(s));
    this.subscribers.add(sub);
    this.timer ??= setInterval(() => this.keepAlive(), this.intervalMs);
    return sub;
  }

  /** Sends each row to every live subscriber whose filter it matches, in seq order. */
  fanOut(rows: readonly LogRow[], matches: (filter: StreamFilter, row: LogRow) => boolean): void {
    for (const sub of this.subscribers) {
      if (!sub.live) continue;
      for (const row of rows) if (matches(sub.filter, row)) sub.send(row);
    }
  }

  private keepAlive(): void {
    for (const sub of this.subscribers) sub.comment("keep-alive");
  }

  private remove(sub: SseSubscriber): void {
    this.subscribers.delete(sub);
    if (this.subscribers.size === 0 && this.timer !== null) {
      clearInterval(this.timer);
      this.timer = null;
    }
  }
}
