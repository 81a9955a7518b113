/**
 * EdgeHub's command side: operators enqueue commands (and may wait for the result), the hub enqueues its own
 * (`alert.set`), each is sent at once to a connected device and again on every reconnect or poll until its
 * `command_result` arrives, and the alarm marks those past their expiry `expired`. Storage:
 * edge-hub-commands.ts.
 */
import { z } from "zod";
import { fail, type Failure, type Result } from "../workers/platform/errors";
import { commandFrame, commandIsOpen, CommandStore, type CommandRow } from "./edge-hub-commands";
import { Waiters, type PollChannel } from "./edge-hub-poll";
import { send } from "./edge-hub-socket";
import { alertArgsSchema, commandSpecSchema, type DeviceMessage } from "./protocol";

export const DEFAULT_COMMAND_TTL_MS = 5 * 60_000;
/** An `alert.set` outlives a short disconnect: the device's LED must follow the alert once it is back. */
const ALERT_TTL_MS = 3600_000;
const enqueueSchema = z.intersection(
  commandSpecSchema,
  z.object({
    expiresInMs: z
      .number()
      .int()
      .min(1000)
      .max(24 * 3600_000)
      .default(DEFAULT_COMMAND_TTL_MS),
  }),
);
const waitSchema = z.object({ id: z.string().min(1).max(128), waitMs: z.number().int().min(0).max(30_000) });

export function invalid(error: z.ZodError): Failure {
  const issues = error.issues.map((i) => ({ field: i.path.map(String).join("."), message: i.message }));
  return fail(400, "invalid_input", `${issues[0]?.field ?? "input"}: ${issues[0]?.message ?? "invalid"}`, { issues });
}

/** What the command side needs from its hub. */
export interface CommandDeps {
  sql: SqlStorage;
  clock: () => number;
  polls: PollChannel;
  liveSocket: (now: number) => WebSocket | null;
  /** Synchronous (may sit in a transaction): asks the alarm for `at`. */
  dueBy: (at: number) => void;
  arm: () => Promise<void>;
}

export class CommandDesk {
  readonly store: CommandStore;
  /** Woken when a command finishes, for `await` callers. */
  private readonly waiters = new Waiters();
  /** Hub commands enqueued inside a transaction, sent once it committed. */
  private fresh: CommandRow[] = [];

  constructor(private readonly deps: CommandDeps) {
    this.store = new CommandStore(deps.sql);
  }

  /** Queues an operator's command (sent at once when the device is connected, else when it connects or polls). */
  async enqueue(input: unknown): Promise<Result<{ command: CommandRow }>> {
    const parsed = enqueueSchema.safeParse(input);
    if (!parsed.success) return invalid(parsed.error);
    const now = this.deps.clock();
    const { name, args, expiresInMs } = parsed.data;
    const command = this.store.insert(crypto.randomUUID(), name, args, now, now + expiresInMs);
    this.deps.dueBy(command.expires_at);
    this.fresh.push(command);
    await this.sendFresh();
    return { ok: true, command: this.store.get(command.id) ?? command };
  }

  /** Queues `alert.set` synchronously, in the caller's transaction; `sendFresh` sends it after the commit. */
  setAlert(args: z.infer<typeof alertArgsSchema>, now: number): void {
    const command = this.store.insert(
      crypto.randomUUID(),
      "alert.set",
      alertArgsSchema.parse(args),
      now,
      now + ALERT_TTL_MS,
    );
    this.deps.dueBy(command.expires_at);
    this.fresh.push(command);
  }

  /** Sends commands queued since the last call to a connected device, wakes a polling one, arms expiry. */
  async sendFresh(): Promise<void> {
    if (this.fresh.length === 0) return;
    const now = this.deps.clock();
    const ws = this.deps.liveSocket(now);
    if (ws) for (const command of this.fresh) this.deliver(ws, command, now);
    this.fresh = [];
    this.deps.polls.waiters.wake();
    await this.deps.arm();
  }

  /** The command, once it finished or after `waitMs` (0: at once), whichever comes first; 404 when unknown. */
  async await(id: string, waitMs: number): Promise<Result<{ command: CommandRow }>> {
    const parsed = waitSchema.safeParse({ id, waitMs });
    if (!parsed.success) return invalid(parsed.error);
    const until = Date.now() + parsed.data.waitMs;
    for (;;) {
      const command = this.store.get(parsed.data.id);
      if (!command) return fail(404, "command_not_found", `no command '${parsed.data.id}' for this device`);
      const left = until - Date.now();
      if (!commandIsOpen(command) || left <= 0) return { ok: true, command };
      await this.waiters.wait(left);
    }
  }

  /** Recent first. */
  list(limit: number): CommandRow[] {
    return this.store.list(Math.min(Math.max(Math.trunc(limit) || 50, 1), 500));
  }

  /** Every open command, to a socket that just connected. */
  resend(ws: WebSocket, now: number): void {
    for (const command of this.store.open(now)) this.deliver(ws, command, now);
  }

  /** Open commands a poll hands out: those not handed out within the redelivery window. */
  pollFrames(now: number): string[] {
    const frames: string[] = [];
    for (const command of this.store.open(now)) {
      if (!this.deps.polls.hand(`command:${command.id}`, now)) continue;
      frames.push(commandFrame(command));
      this.store.delivered(command.id, now);
    }
    return frames;
  }

  /** A `command_result`; unknown or already finished ids are ignored (the device may repeat one after a reconnect). */
  result(msg: Extract<DeviceMessage, { type: "command_result" }>): void {
    if (!this.store.finish(msg.id, msg.status, msg.result, msg.error ?? null, this.deps.clock())) return;
    this.deps.polls.forget(`command:${msg.id}`);
    this.waiters.wake();
  }

  /** The alarm: open commands past their expiry are marked `expired` (never dropped), and waiters answered. */
  expire(now: number): void {
    if (this.store.expire(now) > 0) this.waiters.wake();
  }

  private deliver(ws: WebSocket, command: CommandRow, now: number): void {
    if (send(ws, commandFrame(command))) this.store.delivered(command.id, now);
  }
}
