/**
 * The command ledger: a small on-disk record of every command id this device has started and the result it
 * acknowledged, so a command the hub re-sends (after a reconnect, or after this process restarted) is
 * answered again with the same result instead of running twice. An id is written as started before it runs:
 * one interrupted by a crash is answered as failed after the restart, never re-run (at most once). Entries
 * older than `maxAgeMs` (well past the hub's command expiry) are pruned.
 */
import { z } from "zod";
import { JsonLinesAppender, SerialQueue, readJsonLines, rewriteJsonLines, toLine } from "../outbox/jsonl-log.js";

export const commandOutcomeSchema = z.discriminatedUnion("status", [
  z.object({ status: z.literal("succeeded"), result: z.unknown() }),
  z.object({
    status: z.enum(["failed", "rejected"]),
    error: z.object({ code: z.string(), message: z.string(), details: z.unknown().optional() }),
  }),
]);
/** `rejected`: the command was refused before running (unknown name, bad args); `failed`: it ran and failed. */
export type CommandOutcome = z.infer<typeof commandOutcomeSchema>;

const entrySchema = z.object({
  id: z.string().min(1),
  seq: z.number().int(),
  name: z.string(),
  /** Epoch milliseconds when the command started. */
  at: z.number(),
  outcome: commandOutcomeSchema.optional(),
});
export type LedgerEntry = z.infer<typeof entrySchema>;

const recordSchema = z.discriminatedUnion("op", [
  z.object({ op: z.literal("start"), entry: entrySchema }),
  z.object({ op: z.literal("finish"), id: z.string(), outcome: commandOutcomeSchema }),
]);

export interface CommandLedgerOptions {
  /** Entries older than this are forgotten; default 7 days. */
  maxAgeMs?: number;
  /** At most this many entries are kept (oldest pruned first); default 10 000. */
  maxEntries?: number;
  /** Clock, injectable for tests. */
  now?: () => number;
}

/** What a command interrupted by a restart is answered with: it may have run, so it must not run again. */
export const INTERRUPTED: CommandOutcome = {
  status: "failed",
  error: { code: "interrupted", message: "the agent stopped while this command was running; it was not run again" },
};

export class CommandLedger {
  private readonly queue = new SerialQueue();
  private records = 0;

  private constructor(
    private readonly file: string,
    private readonly entries: Map<string, LedgerEntry>,
    private appender: JsonLinesAppender,
    private readonly maxAgeMs: number,
    private readonly maxEntries: number,
    private readonly now: () => number,
  ) {}

  static async open(file: string, options: CommandLedgerOptions = {}): Promise<CommandLedger> {
    const maxAgeMs = options.maxAgeMs ?? 7 * 24 * 3600_000;
    const maxEntries = options.maxEntries ?? 10_000;
    const now = options.now ?? Date.now;
    const entries = new Map<string, LedgerEntry>();
    for (const raw of await readJsonLines(file)) {
      const record = recordSchema.safeParse(raw);
      if (!record.success) continue;
      if (record.data.op === "start") entries.set(record.data.entry.id, record.data.entry);
      else {
        const entry = entries.get(record.data.id);
        if (entry) entry.outcome = record.data.outcome;
      }
    }
    // Anything started but never finished was cut off by the previous process's end.
    for (const entry of entries.values()) entry.outcome ??= INTERRUPTED;
    const ledger = new CommandLedger(file, entries, await JsonLinesAppender.open(file), maxAgeMs, maxEntries, now);
    await ledger.queue.run(() => ledger.compact());
    return ledger;
  }

  /** The entry for `id`, if this device has started it within the retention window. */
  get(id: string): LedgerEntry | undefined {
    return this.entries.get(id);
  }

  get size(): number {
    return this.entries.size;
  }

  /** Durably records that `id` is about to run; call before running it. */
  start(id: string, seq: number, name: string): Promise<LedgerEntry> {
    return this.queue.run(async () => {
      const existing = this.entries.get(id);
      if (existing) return existing;
      const entry: LedgerEntry = { id, seq, name, at: this.now() };
      await this.write({ op: "start", entry });
      this.entries.set(id, entry);
      return entry;
    });
  }

  /** Durably records the outcome of a started command. */
  finish(id: string, outcome: CommandOutcome): Promise<void> {
    return this.queue.run(async () => {
      const entry = this.entries.get(id);
      if (!entry) throw new Error(`command ${id} was not started`);
      await this.write({ op: "finish", id, outcome });
      entry.outcome = outcome;
      await this.prune();
    });
  }

  close(): Promise<void> {
    return this.queue.run(() => this.appender.close());
  }

  private async write(record: z.infer<typeof recordSchema>): Promise<void> {
    await this.appender.append(toLine(record));
    this.records += 1;
  }

  /** Forgets old entries; rewrites the file when it did or once it holds twice the live entries' records. */
  private async prune(): Promise<void> {
    if (this.dropExpired() || this.records > 2 * this.entries.size + 64) await this.compact();
  }

  private dropExpired(): boolean {
    const cutoff = this.now() - this.maxAgeMs;
    let removed = false;
    // Insertion order is start order, so the oldest come first; a command still running is never forgotten.
    for (const [id, entry] of this.entries) {
      if (!entry.outcome || (entry.at >= cutoff && this.entries.size <= this.maxEntries)) break;
      this.entries.delete(id);
      removed = true;
    }
    return removed;
  }

  private async compact(): Promise<void> {
    this.dropExpired();
    await this.appender.close();
    await rewriteJsonLines(
      this.file,
      [...this.entries.values()].map((entry) => toLine({ op: "start", entry })),
    );
    this.records = this.entries.size;
    this.appender = await JsonLinesAppender.open(this.file);
  }
}
