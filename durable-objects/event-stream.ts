/**
 * EventStream: one partition of the bus (workers/platform/bus/partitions.ts picks it by subject). `append`
 * logs events durably (de-duplicated by event_id, numbered by a strictly increasing seq, the resume cursor),
 * pushes them to the partition's live subscribers, and forwards them to the bus queue. An event stays
 * "undelivered" until the queue consumer `settle`s it; the alarm re-sends what stays unconfirmed past
 * BUS_REDELIVERY_AFTER (doubling each time), so an event accepted here survives a crash of the queue, the
 * consumer or the whole local server. Subscribers are the Worker's stream route, one hibernatable WebSocket per
 * client and partition (filters in the socket's attachment); a subscriber that resumes from a cursor is replayed
 * from the log first (event-stream-replay.ts) and only then joins live fan-out.
 */
import { DurableObject } from "cloudflare:workers";
import { z } from "zod";
import { busEventSchema, type BusEvent } from "../workers/platform/bus/envelope";
import type {
  AppendOptions,
  AppendResult,
  BusPartitionRpc,
  PartitionStats,
  Settlement,
} from "../workers/platform/bus/partition-client";
import { sendToQueue } from "../workers/platform/bus/queue-send";
import type { Env } from "../workers/platform/env";
import { errorBody, fail, type Result } from "../workers/platform/errors";
import { createLogger } from "../workers/platform/logger";
import { readConfig } from "../workers/platform/config";
import { DueWork, type TimedWork } from "../workers/platform/durable/due-work";
import { StreamLog, type LoggedEvent, type LogRow } from "./event-stream-log";
import {
  clientMessageSchema,
  errorFrame,
  matchesFilter,
  parseSubscribe,
  PING,
  PONG,
  positionFrame,
  type StreamFilter,
  type SubscribeOptions,
} from "./event-stream-protocol";
import { replay } from "./event-stream-replay";

const appendSchema = z.array(busEventSchema).max(1000);
const settleSchema = z.object({
  delivered: z.array(z.string().max(64)).max(1000),
  deferred: z.array(z.object({ event_id: z.string().max(64), delay_ms: z.number().int().min(0) })).max(1000),
});
const pruneSchema = z.object({
  beforeMs: z.number().int().min(0),
  maxRows: z.number().int().min(1).max(1_000_000),
});
const attachmentSchema = z.object({ patterns: z.array(z.string()), correlation_id: z.string().optional() });
const PRUNE_CHUNK = 500;
const RESEND_BATCH = 500;
const WS_CLOSING = 2;
/** An append's own forward normally lands in milliseconds; the alarm steps in only if it has not by then. */
const FORWARD_GRACE_MS = 10_000;
const MAX_REDELIVERY_MS = 12 * 3600_000;
/** How long past its delay a deferred (retrying) event waits before the partition re-sends it itself. */
const DEFER_GRACE_MS = 60_000;

function rowMatches(filter: StreamFilter, row: LogRow): boolean {
  return matchesFilter(filter, row.subject, row.correlation_id);
}

function yieldToOthers(): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, 0));
}

export class EventStream extends DurableObject<Env> implements BusPartitionRpc {
  /** The object's clock (received_at, resends); tests replace it to age rows. */
  clock: () => number = () => Date.now();
  /** Where events go once logged: the bus queue (tests swap in one that loses or refuses messages). */
  queue: Queue<BusEvent>;
  /** Rows read per replay step; between steps appends may run (tests shrink it to force interleaving). */
  replayBatch = 500;
  private readonly log: StreamLog;
  private readonly redeliverAfterMs: number;
  /** Sockets whose replay is running: live fan-out skips them until it has caught up. */
  private readonly replaying = new Set<WebSocket>();
  private readonly filters = new WeakMap<WebSocket, StreamFilter>();
  private readonly due: DueWork<{ resend: TimedWork<number> }>;

  constructor(ctx: DurableObjectState, env: Env) {
    super(ctx, env);
    this.log = new StreamLog(ctx.storage);
    this.queue = env.BUS;
    this.redeliverAfterMs = readConfig(env).busRedeliveryAfterMs;
    this.due = new DueWork(ctx, {
      clock: () => this.clock(),
      work: { resend: { nextDueAt: () => this.log.nextDueAt(), run: () => this.resendDue() } },
    });
    // Answered by the runtime itself, so a keep-alive ping never wakes a hibernated object.
    ctx.setWebSocketAutoResponse(new WebSocketRequestResponsePair(PING, PONG));
  }

  /**
   * Logs the events (durable once this returns), fans them out and forwards the new ones to the queue after
   * answering; a failed forward is retried by the alarm.
   */
  async append(events: BusEvent[], options: AppendOptions = {}): Promise<Result<{ results: AppendResult[] }>> {
    const parsed = appendSchema.safeParse(events);
    if (!parsed.success) {
      const issue = parsed.error.issues[0];
      return fail(400, "invalid_input", `events.${issue?.path.join(".") ?? ""}: ${issue?.message ?? "invalid"}`, {
        issues: parsed.error.issues,
      });
    }
    const now = this.clock();
    // The original objects are logged, not zod's output: extra keys a publisher kept must reach subscribers.
    const { results, fresh, pending } = this.log.append(
      events,
      now,
      now + FORWARD_GRACE_MS,
      options.redeliver === true,
    );
    this.fanOut(fresh);
    if (pending.length > 0) {
      await this.due.armBy(now + FORWARD_GRACE_MS);
      this.ctx.waitUntil(this.forward(pending));
    }
    return { ok: true, results };
  }

  /** The consumer's report: delivered events are never re-sent; deferred ones wait for the queue's retry. */
  async settle(report: Settlement): Promise<Result<{ delivered: number; deferred: number }>> {
    const parsed = settleSchema.safeParse(report);
    if (!parsed.success) return fail(400, "invalid_input", "settle needs {delivered: [...], deferred: [...]}");
    const now = this.clock();
    const { delivered, deferred } = this.ctx.storage.transactionSync(() => ({
      delivered: this.log.confirm(parsed.data.delivered),
      deferred: this.log.defer(
        parsed.data.deferred.map((d) => ({ event_id: d.event_id, at: now + d.delay_ms + DEFER_GRACE_MS })),
      ),
    }));
    return { ok: true, delivered, deferred };
  }

  async prune(beforeMs: number, maxRows: number): Promise<Result<{ deleted: number; more: boolean }>> {
    const parsed = pruneSchema.safeParse({ beforeMs, maxRows });
    if (!parsed.success)
      return fail(400, "invalid_input", "prune needs integer beforeMs >= 0 and maxRows in 1..1000000");
    let deleted = 0;
    while (deleted < maxRows) {
      const chunk = Math.min(PRUNE_CHUNK, maxRows - deleted);
      const n = this.log.pruneChunk(beforeMs, chunk);
      deleted += n;
      if (n < chunk) return { ok: true, deleted, more: false };
      // Each chunk is its own short write; appends waiting on the object get in between.
      await yieldToOthers();
    }
    return { ok: true, deleted, more: this.log.hasRowsBefore(beforeMs) };
  }

  async tick(): Promise<{ resent: number }> {
    return { resent: (await this.due.tick()).resend };
  }

  override async alarm(): Promise<void> {
    await this.due.alarm();
  }

  async stats(): Promise<PartitionStats> {
    return {
      partition: this.ctx.id.name ?? this.ctx.id.toString(),
      subscribers: this.ctx.getWebSockets().length,
      last_seq: this.log.last,
      log_rows: this.log.size(),
      undelivered: this.log.undelivered(),
    };
  }

  override async fetch(request: Request): Promise<Response> {
    if (new URL(request.url).pathname !== "/subscribe") {
      return Response.json(errorBody("not_found", "no such stream endpoint"), { status: 404 });
    }
    if (request.headers.get("upgrade")?.toLowerCase() !== "websocket") {
      return Response.json(errorBody("upgrade_required", "subscribe with a WebSocket upgrade"), { status: 426 });
    }
    const parsed = parseSubscribe(request);
    if (!parsed.ok) return Response.json(errorBody("invalid_input", parsed.message), { status: 400 });
    return this.subscribe(parsed.options);
  }

  override webSocketMessage(ws: WebSocket, message: string | ArrayBuffer): void {
    if (typeof message !== "string") {
      ws.send(errorFrame("invalid_message", "binary messages are not accepted"));
      return;
    }
    let data: unknown;
    try {
      data = JSON.parse(message);
    } catch {
      ws.send(errorFrame("invalid_json", "message is not JSON"));
      return;
    }
    const parsed = clientMessageSchema.safeParse(data);
    if (!parsed.success) {
      const issues = parsed.error.issues.map((i) => ({
        field: ["message", ...i.path.map(String)].join("."),
        message: i.message,
      }));
      ws.send(
        errorFrame("invalid_message", `${issues[0]?.field ?? "message"}: ${issues[0]?.message ?? "invalid"}`, {
          issues,
        }),
      );
      return;
    }
    ws.send(PONG);
  }

  override webSocketClose(ws: WebSocket, code: number): void {
    this.forget(ws, code);
  }

  override webSocketError(ws: WebSocket): void {
    this.forget(ws, 1011);
  }

  /** Sends freshly logged events to the queue; a refusal is left to the alarm's re-send. */
  private async forward(pending: readonly LoggedEvent[]): Promise<void> {
    const { sent, error } = await this.send(pending);
    if (error !== undefined) {
      createLogger("bus", this.env.LOG_LEVEL).warn("bus queue refused events; the partition will re-send them", {
        error,
        pending: pending.length - sent,
      });
    }
  }

  /** Sends logged events to the queue and records when to re-send each one unless it is settled first. */
  private async send(items: readonly LoggedEvent[]): Promise<{ sent: number; error?: string }> {
    const result = await sendToQueue(this.queue, items);
    this.log.markSent(
      items.slice(0, result.sent).map((i) => i.seq),
      this.clock(),
      this.redeliverAfterMs,
      MAX_REDELIVERY_MS,
    );
    return result;
  }

  /** Re-sends every unconfirmed event that is due, in seq order (DueWork never runs two at once). */
  private async resendDue(): Promise<number> {
    let resent = 0;
    for (;;) {
      const due = this.log.due(this.clock(), RESEND_BATCH);
      if (due.length === 0) return resent;
      const items = due.map((d) => ({ seq: d.seq, event: JSON.parse(d.message) as BusEvent, json: d.message }));
      const { sent } = await this.send(items);
      resent += sent;
      if (sent < items.length) return resent;
    }
  }

  private forget(ws: WebSocket, code: number): void {
    this.replaying.delete(ws);
    this.filters.delete(ws);
    try {
      // Completes the closing handshake; reserved codes (1005/1006) cannot be sent back, so answer 1000.
      ws.close(code >= 1000 && code < 1004 ? code : 1000);
    } catch {
      // Already closed by the runtime's automatic close reply: nothing left to do.
    }
  }

  private filterOf(ws: WebSocket): StreamFilter | null {
    const cached = this.filters.get(ws);
    if (cached) return cached;
    // After hibernation the socket objects are new: the filter comes back from its attachment.
    const parsed = attachmentSchema.safeParse(ws.deserializeAttachment());
    if (!parsed.success) return null;
    this.filters.set(ws, parsed.data);
    return parsed.data;
  }

  private fanOut(rows: readonly LogRow[]): void {
    if (rows.length === 0) return;
    for (const ws of this.ctx.getWebSockets()) {
      if (this.replaying.has(ws)) continue;
      const filter = this.filterOf(ws);
      if (!filter) continue;
      for (const row of rows) {
        if (!rowMatches(filter, row)) continue;
        try {
          ws.send(row.frame);
        } catch {
          // The socket is closing; webSocketClose will forget it.
          break;
        }
      }
    }
  }

  private async subscribe(options: SubscribeOptions): Promise<Response> {
    const pair = new WebSocketPair();
    const [client, server] = [pair[0], pair[1]];
    this.ctx.acceptWebSocket(server, ["subscriber"]);
    server.serializeAttachment({ patterns: options.filter.patterns, correlation_id: options.filter.correlation_id });
    this.filters.set(server, options.filter);
    // The subscriber learns where it stands, so a resume cursor names this partition even before its first event.
    const position = () => server.send(positionFrame(this.log.last));
    if (options.since === undefined) position();
    else {
      this.replaying.add(server);
      // Replayed before the 101 goes out: the frames queue on the socket ahead of anything live.
      await replay(this.log, options.since, options.filter, this.replayBatch, {
        get closed() {
          return server.readyState >= WS_CLOSING;
        },
        send: (row) => server.send(row.frame),
        drain: yieldToOthers,
        goLive: () => {
          this.replaying.delete(server);
          position();
        },
      });
    }
    return new Response(null, { status: 101, webSocket: client });
  }
}
