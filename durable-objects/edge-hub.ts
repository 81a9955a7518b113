/**
 * EdgeHub: one Durable Object per edge device (the Pi's edge-agent). The device holds a hibernatable
 * WebSocket to it; the Worker submits jobs over RPC and reads each job's answer as a stream while the device
 * sends it. Jobs are stored with a sequence number and resent to a reconnecting device until it acks them;
 * a job past its time budget is cancelled on the device (alarm) and its stream ends with `timeout`. An
 * offline device fails a submit at once, so the caller moves on to the next tier instead of waiting.
 *
 * Commands (gpio.write, telemetry.read, …) sit beside jobs in their own table: sent at once to a connected
 * device, resent on every reconnect (and to a polling device) until a `command_result` arrives, marked
 * `expired` by the alarm past their expiry. A device without WebSockets long-polls instead: `poll()` applies
 * its messages exactly as the socket would and answers what is waiting for it.
 *
 * RPC: isOnline(), status(), submitJob({kind, request, deadlineMs}), streamJob(job_id, sinceIndex),
 * cancelJob(job_id, reason), enqueueCommand, awaitCommand, listCommands, poll. Device protocol:
 * durable-objects/protocol.ts.
 */
import { DurableObject } from "cloudflare:workers";
import { z } from "zod";
import { DueWork } from "../workers/platform/durable/due-work";
import type { Env } from "../workers/platform/env";
import { errorBody, fail, type Failure, type Result } from "../workers/platform/errors";
import {
  attachmentOf,
  cancelFrame,
  closeQuietly,
  DEVICE_TAG,
  errorFrame,
  jobFrame,
  lastSeen,
  liveSocket,
  send,
  SUPERSEDED_CLOSE,
  touch,
} from "./edge-hub-socket";
import { commandFrame, commandIsOpen, CommandStore, type CommandRow } from "./edge-hub-commands";
import { PollChannel, Waiters } from "./edge-hub-poll";
import { isOpen, JobStore, type JobRow } from "./edge-hub-store";
import { chunkLine, DONE_LINE, errorLine, JobStreams } from "./edge-hub-streams";
import {
  commandSpecSchema,
  deviceIdSchema,
  deviceMessageSchema,
  PING,
  PONG,
  submitJobSchema,
  type DeviceMessage,
  type JobFailure,
  type SubmitJobInput,
} from "./protocol";

/** Finished jobs stay readable this long, for a reader that subscribes after the device already answered. */
const RETAIN_MS = 60_000;
const jobIdSchema = z.string().min(1).max(128);
const streamArgsSchema = z.object({ jobId: jobIdSchema, sinceIndex: z.number().int().nonnegative() });
const cancelArgsSchema = z.object({ jobId: jobIdSchema, reason: z.string().transform((r) => r.slice(0, 500)) });
export const DEFAULT_COMMAND_TTL_MS = 5 * 60_000;
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
const pollSchema = z.object({
  deviceId: deviceIdSchema,
  messages: z.array(deviceMessageSchema).max(1000),
  waitMs: z.number().int().min(0).max(25_000),
});
/** A polling device re-polls as soon as it is answered (at most 25 s later): silent past this, it is gone. */
const POLL_WINDOW_MS = 60_000;

export interface HubStatus {
  device_id: string | null;
  online: boolean;
  agent_version: string | null;
  connected_at: number | null;
  last_seen: number | null;
  open_jobs: number;
}

function finalLine(job: JobRow): string {
  if (job.status === "done") return DONE_LINE;
  return errorLine(job.failure ?? "device_error", job.message ?? "job failed", job.error_status);
}

function invalid(error: z.ZodError): Failure {
  const issues = error.issues.map((i) => ({ field: i.path.map(String).join("."), message: i.message }));
  return fail(400, "invalid_input", `${issues[0]?.field ?? "input"}: ${issues[0]?.message ?? "invalid"}`, { issues });
}

export class EdgeHub extends DurableObject<Env> {
  /** The hub's clock; tests replace it to age heartbeats instead of waiting. */
  clock: () => number = () => Date.now();
  private readonly store: JobStore;
  private readonly streams = new JobStreams();
  private readonly commands: CommandStore;
  private readonly due;
  private readonly polls = new PollChannel();
  /** Woken when a command finishes, for `awaitCommand` callers. */
  private readonly commandWaiters = new Waiters();

  constructor(ctx: DurableObjectState, env: Env) {
    super(ctx, env);
    this.store = new JobStore(ctx.storage.sql);
    this.commands = new CommandStore(ctx.storage.sql);
    this.due = new DueWork(ctx, {
      clock: () => this.clock(),
      work: {
        // Jobs past their budget are cancelled; finished ones are dropped once no late reader needs them.
        deadlines: { nextDueAt: () => this.store.nextDue(RETAIN_MS), run: (now: number) => this.expireJobs(now) },
        // Commands past their expiry are marked `expired` (never dropped), and anyone waiting is answered.
        commands: { nextDueAt: () => this.commands.nextExpiry(), run: (now: number) => this.expireCommands(now) },
      },
    });
    // Keep-alive pings are answered by the runtime: a device pinging every 30 s never wakes the hub.
    ctx.setWebSocketAutoResponse(new WebSocketRequestResponsePair(PING, PONG));
  }

  isOnline(): boolean {
    const now = this.clock();
    return liveSocket(this.ctx, now) !== null || this.pollOnline(now);
  }

  status(): HubStatus {
    const device = this.store.device();
    const seen = this.ctx.getWebSockets(DEVICE_TAG).map((ws) => lastSeen(this.ctx, ws));
    const polled = this.commands.lastPolled();
    if (polled !== null) seen.push(polled);
    return {
      device_id: device?.device_id ?? null,
      online: this.isOnline(),
      agent_version: device?.agent_version ?? null,
      connected_at: device?.connected_at ?? null,
      last_seen: seen.length > 0 ? Math.max(...seen) : null,
      open_jobs: this.store.openCount(),
    };
  }

  /** Queues a job and sends it to the device at once; 503 `device_offline` when no live socket exists. */
  async submitJob(input: SubmitJobInput): Promise<Result<{ job_id: string; seq: number }>> {
    const parsed = submitJobSchema.safeParse(input);
    if (!parsed.success) {
      const issue = parsed.error.issues[0];
      return fail(400, "invalid_input", `${issue?.path.join(".") ?? "input"}: ${issue?.message ?? "invalid"}`, {
        issues: parsed.error.issues,
      });
    }
    const now = this.clock();
    const ws = liveSocket(this.ctx, now);
    const polling = !ws && this.pollOnline(now);
    if (!ws && !polling)
      return fail(503, "device_offline", `edge device '${this.store.device()?.device_id ?? "?"}' is not connected`);
    const { kind, request, deadlineMs } = parsed.data;
    const jobId = crypto.randomUUID();
    const seq = this.store.insert(jobId, kind, JSON.stringify(request), now, now + deadlineMs);
    const job = this.store.get(jobId);
    if (polling) this.polls.waiters.wake();
    else if (!job || !ws || !send(ws, jobFrame(job, now))) {
      // The socket closed under us: fail now, like an offline device, rather than wait out the budget.
      this.finishJob(jobId, { reason: "offline", message: "the device disconnected" });
      return fail(503, "device_offline", "the edge device disconnected");
    }
    await this.due.armBy(now + deadlineMs);
    return { ok: true, job_id: jobId, seq };
  }

  /** The job's answer as NDJSON lines: stored chunks from `sinceIndex`, then live ones, then `done` or `error`. */
  streamJob(jobId: string, sinceIndex = 0): ReadableStream<Uint8Array> {
    const args = streamArgsSchema.safeParse({ jobId, sinceIndex });
    if (!args.success)
      return this.streams.open(
        "",
        [],
        errorLine("unknown_job", "streamJob needs a job id and an integer sinceIndex >= 0"),
      );
    const job = this.store.get(args.data.jobId);
    if (!job) return this.streams.open(args.data.jobId, [], errorLine("unknown_job", `no job '${args.data.jobId}'`));
    const replay = this.store.chunks(job.job_id, args.data.sinceIndex).map((c) => chunkLine(c.idx, c.data));
    return this.streams.open(job.job_id, replay, isOpen(job) ? null : finalLine(job));
  }

  /** Stops a job (the caller gave up): the device is told, readers get `cancelled`. */
  cancelJob(jobId: string, reason = "cancelled by the caller"): Result<{ cancelled: boolean }> {
    const args = cancelArgsSchema.safeParse({ jobId, reason });
    if (!args.success) return fail(400, "invalid_input", "cancelJob needs a job id and a reason");
    const cancelled = this.finishJob(args.data.jobId, { reason: "cancelled", message: args.data.reason });
    if (cancelled) this.broadcast(cancelFrame(args.data.jobId, args.data.reason));
    return { ok: true, cancelled };
  }

  /** Queues a command (sent at once when the device is connected, else when it next connects or polls). */
  async enqueueCommand(input: unknown): Promise<Result<{ command: CommandRow }>> {
    const parsed = enqueueSchema.safeParse(input);
    if (!parsed.success) return invalid(parsed.error);
    const now = this.clock();
    const { name, args, expiresInMs } = parsed.data;
    const command = this.commands.insert(crypto.randomUUID(), name, args, now, now + expiresInMs);
    const ws = liveSocket(this.ctx, now);
    if (ws) this.deliver(ws, command, now);
    this.polls.waiters.wake();
    await this.due.armBy(command.expires_at);
    return { ok: true, command: this.commands.get(command.id) ?? command };
  }

  /** The command, once it finished or after `waitMs` (0: at once), whichever comes first; 404 when unknown. */
  async awaitCommand(id: string, waitMs = 0): Promise<Result<{ command: CommandRow }>> {
    const parsed = waitSchema.safeParse({ id, waitMs });
    if (!parsed.success) return invalid(parsed.error);
    const until = Date.now() + parsed.data.waitMs;
    for (;;) {
      const command = this.commands.get(parsed.data.id);
      if (!command) return fail(404, "command_not_found", `no command '${parsed.data.id}' for this device`);
      const left = until - Date.now();
      if (!commandIsOpen(command) || left <= 0) return { ok: true, command };
      await this.commandWaiters.wait(left);
    }
  }

  /** Recent first. */
  listCommands(limit = 50): CommandRow[] {
    return this.commands.list(Math.min(Math.max(Math.trunc(limit) || 50, 1), 500));
  }

  /**
   * One long-poll round: applies the device's messages as the socket would, then answers what waits for it
   * (error frames for its messages, cancels, unacked jobs, open commands), waiting up to `waitMs` for work.
   * Answers the response body, `{"messages":[…]}`.
   */
  async poll(input: unknown): Promise<Result<{ body: string }>> {
    const parsed = pollSchema.safeParse(input);
    if (!parsed.success) return invalid(parsed.error);
    const { deviceId, messages, waitMs } = parsed.data;
    const now = this.clock();
    this.commands.polled(now);
    if (this.store.device()?.device_id !== deviceId) this.store.connected(deviceId, now);
    const frames: string[] = [];
    for (const msg of messages)
      this.handle(
        msg,
        deviceId,
        (frame) => frames.push(frame),
        () => undefined,
      );
    frames.push(...this.pollFrames(now));
    if (frames.length === 0 && waitMs > 0) {
      await this.polls.waiters.wait(waitMs);
      const later = this.clock();
      this.commands.polled(later);
      frames.push(...this.pollFrames(later));
    }
    return { ok: true, body: `{"messages":[${frames.join(",")}]}` };
  }

  /** The device's connection, forwarded by the Worker once the device token matched the device id. */
  override fetch(request: Request): Response {
    const url = new URL(request.url);
    const deviceId = deviceIdSchema.safeParse(url.searchParams.get("device_id"));
    if (url.pathname !== "/connect" || !deviceId.success)
      return Response.json(errorBody("invalid_input", "expected /connect?device_id=<device id>"), { status: 400 });
    if (request.headers.get("upgrade")?.toLowerCase() !== "websocket") {
      return Response.json(errorBody("upgrade_required", "connect with a WebSocket upgrade"), {
        status: 426,
        headers: { upgrade: "websocket" },
      });
    }
    const now = this.clock();
    // One live connection per device: an older socket is usually a dead one the agent already gave up on.
    for (const old of this.ctx.getWebSockets(DEVICE_TAG))
      closeQuietly(old, SUPERSEDED_CLOSE, "superseded by a newer connection");
    const pair = new WebSocketPair();
    const [client, server] = [pair[0], pair[1]];
    this.ctx.acceptWebSocket(server, [DEVICE_TAG]);
    server.serializeAttachment({ device_id: deviceId.data, connected_at: now, last_seen: now });
    this.store.connected(deviceId.data, now);
    // Queued ahead of the 101: whatever the device missed while it was away reaches it first.
    for (const job of this.store.unacked(now)) send(server, jobFrame(job, now));
    for (const command of this.commands.open(now)) this.deliver(server, command, now);
    return new Response(null, { status: 101, webSocket: client });
  }

  override webSocketMessage(ws: WebSocket, message: string | ArrayBuffer): void {
    touch(ws, this.clock());
    if (typeof message !== "string") {
      send(ws, errorFrame("invalid_message", "binary messages are not accepted"));
      return;
    }
    let data: unknown;
    try {
      data = JSON.parse(message);
    } catch {
      send(ws, errorFrame("invalid_json", "message is not JSON"));
      return;
    }
    const parsed = deviceMessageSchema.safeParse(data);
    if (!parsed.success) {
      const issues = parsed.error.issues.map((i) => ({
        field: ["message", ...i.path.map(String)].join("."),
        message: i.message,
      }));
      send(
        ws,
        errorFrame("invalid_message", `${issues[0]?.field ?? "message"}: ${issues[0]?.message ?? "invalid"}`, {
          issues,
        }),
      );
      return;
    }
    this.handle(
      parsed.data,
      attachmentOf(ws)?.device_id ?? null,
      (frame) => send(ws, frame),
      () => closeQuietly(ws, 1008, "device_id mismatch"),
    );
  }

  override webSocketClose(ws: WebSocket, code: number): void {
    // Completes the closing handshake; reserved codes (1005/1006) cannot be sent back, so answer 1000.
    closeQuietly(ws, code >= 1000 && code < 1004 ? code : 1000, "closed");
  }

  override webSocketError(ws: WebSocket): void {
    closeQuietly(ws, 1011, "socket error");
  }

  override async alarm(): Promise<void> {
    await this.due.alarm();
  }

  private expireCommands(now: number): void {
    if (this.commands.expire(now) > 0) this.commandWaiters.wake();
  }

  private pollOnline(now: number): boolean {
    const polled = this.commands.lastPolled();
    return this.polls.waiters.size > 0 || (polled !== null && now - polled <= POLL_WINDOW_MS);
  }

  private deliver(ws: WebSocket, command: CommandRow, now: number): void {
    if (send(ws, commandFrame(command))) this.commands.delivered(command.id, now);
  }

  /** What a poll hands out: queued cancels, then jobs and commands not handed out within the redelivery window. */
  private pollFrames(now: number): string[] {
    const frames = this.polls.drain();
    for (const job of this.store.unacked(now))
      if (this.polls.hand(`job:${job.job_id}`, now)) frames.push(jobFrame(job, now));
    for (const command of this.commands.open(now)) {
      if (!this.polls.hand(`command:${command.id}`, now)) continue;
      frames.push(commandFrame(command));
      this.commands.delivered(command.id, now);
    }
    return frames;
  }

  private expireJobs(now: number): void {
    for (const job of this.store.expired(now)) {
      if (
        this.finishJob(job.job_id, {
          reason: "timeout",
          message: "the device did not finish the job within its time budget",
        })
      ) {
        this.broadcast(cancelFrame(job.job_id, "deadline exceeded"));
      }
    }
    this.store.purgeFinished(now - RETAIN_MS);
  }

  /** One device message, from the socket or a poll alike; `reply` answers on the same channel. */
  private handle(
    msg: DeviceMessage,
    expected: string | null,
    reply: (frame: string) => void,
    refuse: () => void,
  ): void {
    switch (msg.type) {
      case "hello": {
        if (msg.device_id !== expected) {
          reply(
            errorFrame("device_mismatch", `this connection is for device '${expected ?? "?"}', not '${msg.device_id}'`),
          );
          refuse();
          return;
        }
        this.store.hello(msg.agent_version, this.clock());
        return;
      }
      case "heartbeat":
        return;
      case "ack":
        this.store.ack(msg.seq);
        return;
      case "chunk": {
        const job = this.openJob(reply, msg.job_id);
        if (!job) return;
        if (job.status === "sent") this.store.markRunning(job.job_id);
        const data = JSON.stringify(msg.data);
        if (!this.store.addChunk(job.job_id, msg.index, data)) return;
        this.streams.push(job.job_id, chunkLine(msg.index, data));
        // Ollama's final chat object ends the answer: readers are released now, not one device round trip later.
        if (job.kind === "llm.chat" && msg.data.done === true) this.finishJob(job.job_id);
        return;
      }
      case "done":
        if (this.openJob(reply, msg.job_id)) this.finishJob(msg.job_id);
        return;
      case "error":
        if (this.openJob(reply, msg.job_id))
          this.finishJob(msg.job_id, { reason: "device_error", message: msg.message, status: msg.status });
        return;
      case "command_result":
        // Unknown or already finished ids are ignored: the device may repeat a result after a reconnect.
        if (this.commands.finish(msg.id, msg.status, msg.result, msg.error ?? null, this.clock())) {
          this.polls.forget(`command:${msg.id}`);
          this.commandWaiters.wake();
        }
        return;
    }
  }

  /** The job a device message refers to if it is still running; late messages for a finished job are dropped. */
  private openJob(reply: (frame: string) => void, jobId: string): JobRow | null {
    const job = this.store.get(jobId);
    if (!job) {
      reply(errorFrame("unknown_job", `no job '${jobId}'`));
      return null;
    }
    return isOpen(job) ? job : null;
  }

  private finishJob(
    jobId: string,
    failure?: { reason: JobFailure; message: string; status?: number | undefined },
  ): boolean {
    if (!this.store.finish(jobId, this.clock(), failure)) return false;
    this.streams.end(jobId, failure ? errorLine(failure.reason, failure.message, failure.status) : DONE_LINE);
    return true;
  }

  private broadcast(frame: string): void {
    for (const ws of this.ctx.getWebSockets(DEVICE_TAG)) send(ws, frame);
    if (this.pollOnline(this.clock())) {
      this.polls.push(frame);
    }
  }
}
