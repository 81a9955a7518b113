/**
 * The agent's offline telemetry buffer: samples taken while the hub is unreachable are kept in an append-only,
 * fsync'd JSON-lines file so they survive a restart, handed back oldest first for sending after `hello`, and
 * removed once the hub acknowledges their ids. The file is bounded: past `maxBytes` the oldest samples are
 * dropped (telemetry only — command acks and job results never pass through here).
 */
import { z } from "zod";
import { JsonLinesAppender, SerialQueue, readJsonLines, rewriteJsonLines, toLine } from "./jsonl-log.js";

/** A telemetry sample: its fields belong to the telemetry readers; the buffer needs only its unique id. */
export const bufferedSampleSchema = z.looseObject({ id: z.string().min(1).max(128) });
export type BufferedSample = z.infer<typeof bufferedSampleSchema>;

const recordSchema = z.discriminatedUnion("op", [
  z.object({ op: z.literal("add"), sample: bufferedSampleSchema }),
  z.object({ op: z.literal("ack"), ids: z.array(z.string()) }),
]);

export interface TelemetryBufferOptions {
  /** Upper bound on the file's size; default 4 MiB (weeks of one sample a minute). */
  maxBytes?: number;
}

const DEFAULT_MAX_BYTES = 4 * 1024 * 1024;

export class TelemetryBuffer {
  private readonly queue = new SerialQueue();
  private dropped = 0;

  private constructor(
    private readonly file: string,
    private readonly maxBytes: number,
    /** Pending samples in arrival order, each with its serialised line (the bytes it costs on disk). */
    private readonly pending: Map<string, { sample: BufferedSample; line: string }>,
    private appender: JsonLinesAppender,
  ) {}

  /** Opens (or creates) the buffer at `file`, replaying what a previous process left there. */
  static async open(file: string, options: TelemetryBufferOptions = {}): Promise<TelemetryBuffer> {
    const maxBytes = options.maxBytes ?? DEFAULT_MAX_BYTES;
    if (!Number.isInteger(maxBytes) || maxBytes < 1024) throw new RangeError("maxBytes must be an integer >= 1024");
    const pending = new Map<string, { sample: BufferedSample; line: string }>();
    for (const raw of await readJsonLines(file)) {
      const record = recordSchema.safeParse(raw);
      if (!record.success) continue;
      if (record.data.op === "add") {
        const { sample } = record.data;
        if (!pending.has(sample.id)) pending.set(sample.id, { sample, line: toLine({ op: "add", sample }) });
      } else for (const id of record.data.ids) pending.delete(id);
    }
    // Start from a compact file: drops acked samples and any torn last line a crash left, which the next
    // append would otherwise glue onto.
    await rewriteJsonLines(
      file,
      [...pending.values()].map((p) => p.line),
    );
    const buffer = new TelemetryBuffer(file, maxBytes, pending, await JsonLinesAppender.open(file));
    await buffer.queue.run(() => buffer.enforceBound());
    return buffer;
  }

  /** Number of samples waiting to be sent. */
  get size(): number {
    return this.pending.size;
  }

  /** Samples dropped to respect `maxBytes` since this instance opened. */
  get droppedCount(): number {
    return this.dropped;
  }

  /**
   * Stores `sample` durably; resolves true once it is on disk, false when a sample with its id is already
   * pending (a re-read after a retry is not buffered twice).
   */
  append(sample: BufferedSample): Promise<boolean> {
    const parsed = bufferedSampleSchema.parse(sample);
    return this.queue.run(async () => {
      if (this.pending.has(parsed.id)) return false;
      const line = toLine({ op: "add", sample: parsed });
      if (Buffer.byteLength(line, "utf8") > this.maxBytes) throw new RangeError("sample larger than maxBytes");
      await this.appender.append(line);
      this.pending.set(parsed.id, { sample: parsed, line });
      await this.enforceBound();
      return true;
    });
  }

  /** Up to `limit` pending samples, oldest first; they stay pending until acknowledged. */
  peek(limit = 100): BufferedSample[] {
    const out: BufferedSample[] = [];
    for (const { sample } of this.pending.values()) {
      if (out.length >= limit) break;
      out.push(sample);
    }
    return out;
  }

  /** Removes acknowledged samples; unknown ids (already acked, or dropped) are ignored. Resolves once durable. */
  ack(ids: readonly string[]): Promise<number> {
    return this.queue.run(async () => {
      const known = ids.filter((id) => this.pending.has(id));
      if (known.length === 0) return 0;
      await this.appender.append(toLine({ op: "ack", ids: known }));
      for (const id of known) this.pending.delete(id);
      // Once most of the file is acked history, rewrite it so it does not grow without bound.
      if (this.appender.bytes > 2 * this.pendingBytes() + 4096) await this.compact();
      return known.length;
    });
  }

  close(): Promise<void> {
    return this.queue.run(() => this.appender.close());
  }

  private pendingBytes(): number {
    let total = 0;
    for (const { line } of this.pending.values()) total += Buffer.byteLength(line, "utf8");
    return total;
  }

  /** Past the bound, drops the oldest samples until the live ones fit, then rewrites the file. */
  private async enforceBound(): Promise<void> {
    if (this.appender.bytes <= this.maxBytes) return;
    let live = this.pendingBytes();
    for (const [id, { line }] of this.pending) {
      if (live <= this.maxBytes) break;
      this.pending.delete(id);
      live -= Buffer.byteLength(line, "utf8");
      this.dropped += 1;
    }
    await this.compact();
  }

  private async compact(): Promise<void> {
    await this.appender.close();
    await rewriteJsonLines(
      this.file,
      [...this.pending.values()].map((p) => p.line),
    );
    this.appender = await JsonLinesAppender.open(this.file);
  }
}
