/**
 * One subscriber, many partitions: the Worker opens a WebSocket to every partition the subscriber's patterns
 * can match (each hibernatable on the partition's side), and merges their frames into the one stream the
 * client sees — a WebSocket or Server-Sent Events. Each outgoing frame carries its partition, the partition's
 * seq and the subscriber's whole resume cursor as of that frame. Order holds within a partition (so within a
 * subject); across partitions frames interleave as they arrive.
 */
import { clientMessageSchema, errorFrame, PONG, subscribeRequest } from "../../durable-objects/event-stream-protocol";
import type { StreamFilter } from "../../durable-objects/event-stream-protocol";
import { busPartition } from "../platform/bus/partition-client";
import type { Env } from "../platform/env";
import { formatCursor, sinceFor, type Cursor } from "./stream-cursor";

/** The subprotocol a browser offers beside its `bearer.<token>`; the only one the server ever answers. */
export const STREAM_SUBPROTOCOL = "botplane.v1";

/** How often an idle SSE stream gets a comment; tests shorten it. */
export const sseKeepAlive = { ms: 15_000 };

export interface MergeOptions {
  filter: StreamFilter;
  partitions: readonly number[];
  since: Cursor | undefined;
}

interface Sink {
  /** One merged event frame, with the cursor as of it and its subject (SSE's `event:`). */
  event(frame: string, cursor: string, subject: string): void;
  /** A partition went away: the client must reconnect (and resume from its cursor). */
  end(reason: string): void;
}

const FRAME_HEAD = /^\{"seq":(\d+),"event":/;
const SUBJECT = /"type":"([^"]+)"/;

/** Connects to each partition and pipes its frames into the sink; resolves once all are connected. */
async function connect(env: Env, options: MergeOptions, sink: Sink): Promise<WebSocket[]> {
  const positions = new Map<number, number>();
  const sockets = await Promise.all(
    options.partitions.map(async (partition) => {
      const since = sinceFor(options.since, partition);
      if (since !== undefined) positions.set(partition, since);
      const res = await busPartition(env, partition).fetch(subscribeRequest({ filter: options.filter, since }));
      const ws = res.webSocket;
      if (!ws) throw new Error(`partition ${partition} refused the subscription (${res.status})`);
      ws.accept();
      ws.addEventListener("message", (e) => {
        const text = typeof e.data === "string" ? e.data : "";
        const head = FRAME_HEAD.exec(text);
        if (!head?.[1]) {
          const position = /^\{"type":"position","seq":(\d+)\}$/.exec(text);
          if (position?.[1]) positions.set(partition, Math.max(positions.get(partition) ?? 0, Number(position[1])));
          return;
        }
        positions.set(partition, Number(head[1]));
        const frame = `{"partition":${partition},${text.slice(1)}`;
        const cursor = formatCursor(positions);
        const subject = SUBJECT.exec(text.slice(head[0].length))?.[1] ?? "message";
        sink.event(frame.replace(/^\{/, `{"cursor":"${cursor}",`), cursor, subject);
      });
      ws.addEventListener("close", () => sink.end(`partition ${partition} closed`));
      return ws;
    }),
  );
  return sockets;
}

function closeAll(sockets: readonly WebSocket[]): void {
  for (const ws of sockets) {
    try {
      ws.close(1000, "subscriber gone");
    } catch {
      // Already closed.
    }
  }
}

/** A client WebSocket fed by the partitions; answers pings itself. */
export async function mergedWebSocket(env: Env, options: MergeOptions, subprotocol: boolean): Promise<Response> {
  const pair = new WebSocketPair();
  const [client, server] = [pair[0], pair[1]];
  server.accept();
  let ended = false;
  let sockets: WebSocket[] = [];
  sockets = await connect(env, options, {
    event: (frame) => server.send(frame),
    end: (reason) => {
      if (ended) return;
      ended = true;
      closeAll(sockets);
      server.close(1012, reason.slice(0, 100));
    },
  });
  server.addEventListener("message", (e) => {
    let data: unknown;
    try {
      data = JSON.parse(typeof e.data === "string" ? e.data : "");
    } catch {
      server.send(errorFrame("invalid_json", "message is not JSON"));
      return;
    }
    const parsed = clientMessageSchema.safeParse(data);
    if (parsed.success) server.send(PONG);
    else {
      const field = ["message", ...(parsed.error.issues[0]?.path.map(String) ?? [])].join(".");
      server.send(errorFrame("invalid_message", `${field}: ${parsed.error.issues[0]?.message ?? "invalid"}`));
    }
  });
  server.addEventListener("close", () => {
    ended = true;
    closeAll(sockets);
  });
  const headers: Record<string, string> = subprotocol ? { "sec-websocket-protocol": STREAM_SUBPROTOCOL } : {};
  return new Response(null, { status: 101, webSocket: client, headers });
}

const encoder = new TextEncoder();

/** An SSE stream fed by the partitions: `id` is the resume cursor a browser sends back as Last-Event-ID. */
export async function mergedSse(env: Env, options: MergeOptions): Promise<Response> {
  const { readable, writable } = new TransformStream<Uint8Array, Uint8Array>(undefined, { highWaterMark: 16 });
  const writer = writable.getWriter();
  let closed = false;
  let sockets: WebSocket[] = [];
  const write = (text: string) => {
    if (!closed) writer.write(encoder.encode(text)).catch(() => stop());
  };
  const timer = setInterval(() => write(": keep-alive\n\n"), sseKeepAlive.ms);
  const stop = () => {
    if (closed) return;
    closed = true;
    clearInterval(timer);
    closeAll(sockets);
    writer.close().catch(() => undefined);
  };
  // Rejects when the client goes away (the readable side is cancelled): that is the disconnect signal.
  writer.closed.then(stop, stop);
  // Tells EventSource how soon to reconnect; it then sends Last-Event-ID and resumes.
  write("retry: 3000\n\n");
  sockets = await connect(env, options, {
    event: (frame, cursor, subject) => write(`id: ${cursor}\nevent: ${subject}\ndata: ${frame}\n\n`),
    end: stop,
  });
  return new Response(readable, {
    headers: {
      "content-type": "text/event-stream; charset=utf-8",
      "cache-control": "no-cache, no-transform",
      "x-accel-buffering": "no",
    },
  });
}
