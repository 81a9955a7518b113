/**
 * EventStream: live delivery of bus events. The publish path (at once) and the queue consumer (later, maybe
 * again) `append` events; the object de-duplicates them by event_id, numbers them with a strictly
 * increasing seq (the resume cursor), logs them, and pushes each to the subscribers whose filters match —
 * WebSockets through the Hibernation API (filters in the socket's attachment) and SSE streams held in
 * memory. A subscriber that resumes from a cursor is replayed from the log first (event-stream-replay.ts)
 * and only then joins live fan-out.
 */
import { DurableObject } from "cloudflare:workers";
import { z } from "zod";
import { busEventSchema, type BusEvent } from "../workers/platform/bus/envelope";
import type { Env } from "../workers/platform/env";
import { errorBody, fail, type Result } from "../workers/platform/errors";
import { StreamLog, type LogRow } from "./event-stream-log";
import {
  clientMessageSchema,
  errorFrame,
  matchesFilter,
  parseSubscribe,
  PING,
  PONG,
  STREAM_SUBPROTOCOL,
  type AppendResult,
  type StreamFilter,
  type SubscribeOptions,
} from "./event-stream-protocol";
import { replay } from "./event-stream-replay";
import { SseHub } from "./event-stream-sse";

const appendSchema = z.array(busEventSchema).max(1000);
const pruneSchema = z.object({ beforeMs: z.number().int().min(0), maxRows: z.number().int().min(1).max(1_000_000) });
const attachmentSchema = z.object({ patterns: z.array(z.string()), correlation_id: z.string().optional() });
const PRUNE_CHUNK = 500;
const WS_CLOSING = 2;

export interface StreamStats {
  subscribers: { websocket: number; sse: number };
  last_seq: number;
  log_rows: number;
}

function rowMatches(filter: StreamFilter, row: LogRow): boolean {
  return matchesFilter(filter, row.subject, row.correlation_id);
}

function yieldToOthers(): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, 0));
}

export class EventStream extends DurableObject<Env> {
  /** The object's clock (received_at); tests replace it to age rows. */
  clock: () => number = () => Date.now();
  /** Rows read per replay step; between steps appends may run (tests shrink it to force interleaving). */
  replayBatch = 500;
  readonly sse = new SseHub();
  private readonly log: StreamLog;
  /** Sockets whose replay is running: live fan-out skips them until it has caught up. */
  private readonly replaying = new Set<WebSocket>();
  private readonly filters = new WeakMap<WebSocket, StreamFilter>();

  constructor(ctx: DurableObjectState, env: Env) {
    super(ctx, env);
    this.log = new StreamLog(ctx.storage);
    // Answered by the runtime itself, so a keep-alive ping never wakes a hibernated object.
    ctx.setWebSocketAutoResponse(new WebSocketRequestResponsePair(PING, PONG));
  }

  append(events: BusEvent[]): Result<{ results: AppendResult[] }> {
    const parsed = appendSchema.safeParse(events);
    if (!parsed.success) {
      const issue = parsed.error.issues[0];
      return fail(400, "invalid_input", `events.${issue?.path.join(".") ?? ""}: ${issue?.message ?? "invalid"}`, {
        issues: parsed.error.issues,
      });
    }
    // The original objects are logged, not zod's output: extra keys a publisher kept must reach subscribers.
    const { results, fresh } = this.log.append(events, this.clock());
    this.fanOut(fresh);
    return { ok: true, results };
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

  stats(): StreamStats {
    return {
      subscribers: { websocket: this.ctx.getWebSockets().length, sse: this.sse.size },
      last_seq: this.log.last,
      log_rows: this.log.size(),
    };
  }

  override async fetch(request: Request): Promise<Response> {
    if (new URL(request.url).pathname !== "/subscribe")
      return Response.json(errorBody("not_found", "no such stream endpoint"), { status: 404 });
    const parsed = parseSubscribe(request);
    if (!parsed.ok) return Response.json(errorBody("invalid_input", parsed.message), { status: 400 });
    return parsed.options.websocket ? this.subscribeWebSocket(parsed.options) : this.subscribeSse(parsed.options);
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
    this.sse.fanOut(rows, rowMatches);
  }

  private async subscribeWebSocket(options: SubscribeOptions): Promise<Response> {
    const pair = new WebSocketPair();
    const [client, server] = [pair[0], pair[1]];
    this.ctx.acceptWebSocket(server, ["subscriber"]);
    server.serializeAttachment({ patterns: options.filter.patterns, correlation_id: options.filter.correlation_id });
    this.filters.set(server, options.filter);
    if (options.since !== undefined) {
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
        },
      });
    }
    const headers: Record<string, string> = options.subprotocol ? { "sec-websocket-protocol": STREAM_SUBPROTOCOL } : {};
    return new Response(null, { status: 101, webSocket: client, headers });
  }

  private subscribeSse(options: SubscribeOptions): Response {
    const sub = this.sse.open(options.filter);
    // Tells EventSource how soon to reconnect; it then sends Last-Event-ID and resumes.
    sub.write("retry: 3000\n\n");
    if (options.since === undefined) sub.live = true;
    else {
      this.ctx.waitUntil(
        replay(this.log, options.since, options.filter, this.replayBatch, {
          get closed() {
            return sub.closed;
          },
          send: (row) => sub.send(row),
          drain: () => sub.drain(),
          goLive: () => {
            sub.live = true;
          },
        }).catch(() => sub.close()),
      );
    }
    return new Response(sub.readable, {
      headers: {
        "content-type": "text/event-stream; charset=utf-8",
        "cache-control": "no-cache, no-transform",
        "x-accel-buffering": "no",
      },
    });
  }
}
