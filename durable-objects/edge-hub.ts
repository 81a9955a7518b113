/**
 * EdgeHub: one Durable Object per edge device (the Pi's edge-agent). The device holds a hibernatable
 * WebSocket to it, or long-polls (`poll()`, the same messages both ways). This class wires the hub's parts
 * and owns the device's lifecycle: connect, messages, close, and the one alarm (job deadlines, command
 * expiry, the silence check, the event outbox).
 *
 * Parts, wired in edge-hub-parts.ts: edge-hub-jobs.ts (inference jobs), edge-hub-command-desk.ts (commands),
 * edge-hub-messages.ts (device messages), edge-hub-presence.ts (online/offline and their events),
 * edge-hub-device.ts (telemetry, the over-temperature alert, the detail and the D1 directory row),
 * edge-hub-poll.ts (the poll channel).
 * RPC: isOnline, status, detail, telemetryHistory, runJob (submit + stream), submitJob, streamJob, cancelJob,
 * enqueueCommand, awaitCommand, listCommands, poll. Device protocol: durable-objects/protocol.ts.
 */
import { DurableObject } from "cloudflare:workers";
import { z } from "zod";
import type { Env } from "../workers/platform/env";
import { errorBody, fail, type Result } from "../workers/platform/errors";
import { invalid, type CommandDesk } from "./edge-hub-command-desk";
import type { CommandRow } from "./edge-hub-commands";
import type { DeviceDetail, DeviceRecord, HubStatus } from "./edge-hub-device";
import type { JobDesk } from "./edge-hub-jobs";
import { readSocketMessage, routeMessage, type MessageRoute } from "./edge-hub-messages";
import { hubParts, type HubParts } from "./edge-hub-parts";
import type { PollChannel } from "./edge-hub-poll";
import type { Presence } from "./edge-hub-presence";
import * as socket from "./edge-hub-socket";
import type { TelemetryReading } from "./edge-hub-telemetry";
import { deviceIdSchema, deviceMessageSchema, PING, PONG, type SubmitJobInput } from "./protocol";

export { DEFAULT_COMMAND_TTL_MS } from "./edge-hub-command-desk";
export type { DeviceDetail, HubStatus } from "./edge-hub-device";

const pollSchema = z.object({
  deviceId: deviceIdSchema,
  messages: z.array(deviceMessageSchema).max(1000),
  waitMs: z.number().int().min(0).max(25_000),
});
const historySchema = z.object({
  limit: z.number().int().min(1).max(1000),
  since: z.number().int().optional(),
  before: z.object({ at: z.number().int(), id: z.string().min(1).max(128) }).optional(),
});

export class EdgeHub extends DurableObject<Env> {
  /** The hub's clock; tests replace it to age heartbeats instead of waiting. */
  clock: () => number = () => Date.now();
  private readonly polls: PollChannel;
  private readonly jobs: JobDesk;
  private readonly commands: CommandDesk;
  private readonly presence: Presence;
  private readonly device: DeviceRecord;
  private readonly due: HubParts["due"];

  constructor(ctx: DurableObjectState, env: Env) {
    super(ctx, env);
    ({
      polls: this.polls,
      jobs: this.jobs,
      commands: this.commands,
      presence: this.presence,
      device: this.device,
      due: this.due,
    } = hubParts(ctx, env, () => this.clock()));
    // Keep-alive pings are answered by the runtime: a device pinging every 30 s never wakes the hub.
    ctx.setWebSocketAutoResponse(new WebSocketRequestResponsePair(PING, PONG));
  }

  isOnline(): boolean {
    return this.presence.isOnline(this.clock());
  }

  status(): HubStatus {
    const device = this.jobs.store.device();
    return {
      device_id: device?.device_id ?? null,
      online: this.isOnline(),
      agent_version: device?.agent_version ?? null,
      connected_at: device?.connected_at ?? null,
      last_seen: this.presence.lastSeen(),
      open_jobs: this.jobs.store.openCount(),
    };
  }

  /** Everything the hub knows about its device; null for a device that never connected or polled. */
  detail(): DeviceDetail | null {
    return this.device.detail(this.status());
  }

  /** Stored readings, newest first; 404 `device_not_found` for a device never seen. */
  telemetryHistory(input: unknown): Result<{ readings: TelemetryReading[] }> {
    const parsed = historySchema.safeParse(input);
    if (!parsed.success) return invalid(parsed.error);
    if (this.deviceId() === null) return fail(404, "device_not_found", "no edge device by this id has connected");
    return { ok: true, readings: this.device.telemetry.history(parsed.data) };
  }

  /** Queues a job and sends it to the device at once; 503 `device_offline` when it is not connected. */
  submitJob(input: SubmitJobInput): Promise<Result<{ job_id: string; seq: number }>> {
    return this.jobs.submit(input);
  }

  /**
   * submitJob and streamJob in one round trip, for the model gateway: the job is queued and its answer stream
   * opened in the same call (chunks that arrive before the caller reads are replayed from storage).
   */
  async runJob(input: SubmitJobInput): Promise<Result<{ job_id: string; stream: ReadableStream<Uint8Array> }>> {
    const submitted = await this.jobs.submit(input);
    if (!submitted.ok) return submitted;
    return { ok: true, job_id: submitted.job_id, stream: this.jobs.stream(submitted.job_id, 0) };
  }

  /** The job's answer as NDJSON lines: stored chunks from `sinceIndex`, then live ones, then `done` or `error`. */
  streamJob(jobId: string, sinceIndex = 0): ReadableStream<Uint8Array> {
    return this.jobs.stream(jobId, sinceIndex);
  }

  /** Stops a job (the caller gave up): the device is told, readers get `cancelled`. */
  cancelJob(jobId: string, reason = "cancelled by the caller"): Result<{ cancelled: boolean }> {
    return this.jobs.cancel(jobId, reason);
  }

  /** Queues a command (sent at once when the device is connected, else when it next connects or polls). */
  enqueueCommand(input: unknown): Promise<Result<{ command: CommandRow }>> {
    return this.commands.enqueue(input);
  }

  /** The command, once it finished or after `waitMs` (0: at once), whichever comes first; 404 when unknown. */
  awaitCommand(id: string, waitMs = 0): Promise<Result<{ command: CommandRow }>> {
    return this.commands.await(id, waitMs);
  }

  /** Recent first. */
  listCommands(limit = 50): CommandRow[] {
    return this.commands.list(limit);
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
    this.commands.store.polled(now);
    if (this.deviceId() !== deviceId) this.jobs.store.connected(deviceId, now);
    this.presence.heard(deviceId, "poll", now);
    const frames: string[] = [];
    const route = this.route(
      deviceId,
      (frame) => frames.push(frame),
      () => undefined,
    );
    for (const msg of messages) routeMessage(msg, route);
    await this.settle();
    frames.push(...this.pollFrames(now));
    if (frames.length === 0 && waitMs > 0) {
      await this.polls.waiters.wait(waitMs);
      const later = this.clock();
      this.commands.store.polled(later);
      frames.push(...this.pollFrames(later));
    }
    this.presence.pollEnded(this.clock());
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
    for (const old of this.ctx.getWebSockets(socket.DEVICE_TAG))
      socket.closeQuietly(old, socket.SUPERSEDED_CLOSE, "superseded by a newer connection");
    const pair = new WebSocketPair();
    const [client, server] = [pair[0], pair[1]];
    this.ctx.acceptWebSocket(server, [socket.DEVICE_TAG]);
    socket.attach(server, { device_id: deviceId.data, connected_at: now, last_seen: now });
    this.jobs.store.connected(deviceId.data, now);
    // Queued ahead of the 101: whatever the device missed while it was away reaches it first.
    for (const job of this.jobs.store.unacked(now)) socket.send(server, socket.jobFrame(job, now));
    this.commands.resend(server, now);
    this.presence.heard(deviceId.data, "websocket", now);
    // The directory write is not the device's business: a slow D1 must not hold up its upgrade.
    this.ctx.waitUntil(this.settle());
    return new Response(null, { status: 101, webSocket: client });
  }

  override async webSocketMessage(ws: WebSocket, message: string | ArrayBuffer): Promise<void> {
    const now = this.clock();
    const deviceId = socket.touch(ws, now)?.device_id ?? null;
    if (deviceId !== null) this.presence.heard(deviceId, "websocket", now);
    const read = readSocketMessage(message);
    if ("error" in read) {
      socket.send(ws, read.error);
      await this.settle();
      return;
    }
    const refuse = () => socket.closeQuietly(ws, 1008, "device_id mismatch");
    routeMessage(
      read.msg,
      this.route(deviceId, (frame) => socket.send(ws, frame), refuse),
    );
    await this.settle();
  }

  override async webSocketClose(ws: WebSocket, code: number): Promise<void> {
    // Completes the closing handshake; reserved codes (1005/1006) cannot be sent back, so answer 1000.
    socket.closeQuietly(ws, code >= 1000 && code < 1004 ? code : 1000, "closed");
    this.presence.socketGone(this.deviceId(), ws, this.clock());
    await this.settle();
  }

  override async webSocketError(ws: WebSocket): Promise<void> {
    socket.closeQuietly(ws, 1011, "socket error");
    this.presence.socketGone(this.deviceId(), ws, this.clock());
    await this.settle();
  }

  override async alarm(): Promise<void> {
    await this.due.alarm();
  }

  private deviceId(): string | null {
    return this.jobs.store.device()?.device_id ?? null;
  }

  private route(deviceId: string | null, reply: (frame: string) => void, refuse: () => void): MessageRoute {
    return {
      expected: deviceId,
      reply,
      refuse,
      jobs: this.jobs,
      commands: this.commands,
      hello: (agentVersion) => this.device.hello(agentVersion),
      telemetry: (msg) => {
        if (deviceId !== null) this.device.recordTelemetry(deviceId, msg);
      },
    };
  }

  /** After a change: sends the hub commands it queued, arms the alarm it asked for, updates the directory. */
  private async settle(): Promise<void> {
    await this.commands.sendFresh();
    await this.due.arm();
    await this.device.sync();
  }

  /** What a poll hands out: queued cancels, then jobs and commands not handed out within the redelivery window. */
  private pollFrames(now: number): string[] {
    return [...this.polls.drain(), ...this.jobs.pollFrames(now), ...this.commands.pollFrames(now)];
  }
}
