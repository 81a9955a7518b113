/**
 * Test chat sockets: `GET /ws` opened through the Worker's real entry, every frame received parsed with the
 * server frame schema (so a malformed server frame fails the test), and waits for the frames a test expects.
 */
import { expect } from "vitest";
import {
  ServerFrameSchema,
  type ResponseFrame,
  type ServerFrame,
} from "../../../durable-objects/session-socket-protocol";
import { call } from "../helpers";

/** Long enough for a slow streamed reply; a frame that never comes fails the test instead of hanging it. */
const WAIT_MS = 15_000;

export class ChatSocket {
  readonly frames: ServerFrame[] = [];
  /** Exactly the text of each frame as it arrived. */
  readonly raw: string[] = [];
  closeCode: number | null = null;
  private wake: (() => void)[] = [];

  constructor(
    readonly ws: WebSocket,
    readonly response: Response,
  ) {
    ws.addEventListener("message", (event) => {
      const text = typeof event.data === "string" ? event.data : "<binary>";
      this.raw.push(text);
      this.frames.push(ServerFrameSchema.parse(JSON.parse(text)));
      this.notify();
    });
    ws.addEventListener("close", (event) => {
      this.closeCode = event.code;
      this.notify();
    });
    ws.accept();
  }

  send(frame: unknown): void {
    this.ws.send(typeof frame === "string" ? frame : JSON.stringify(frame));
  }

  /** Resolves once `done(frames)` holds; fails the test naming `what` if it never does. */
  async until(what: string, done: (frames: ServerFrame[]) => boolean): Promise<void> {
    const deadline = Date.now() + WAIT_MS;
    while (!done(this.frames)) {
      if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}; got ${JSON.stringify(this.raw)}`);
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, 50);
        this.wake.push(() => {
          clearTimeout(timer);
          resolve();
        });
      });
    }
  }

  /** The `response` frames of one reply (all of them when no id), in arrival order. */
  responses(replyId?: string): ResponseFrame[] {
    return this.frames.filter(
      (f): f is ResponseFrame => f.type === "response" && (replyId === undefined || f.reply_id === replyId),
    );
  }

  /** Waits for the reply's `done` or `error` frame; answers the reply's frames. */
  async finished(replyId?: string): Promise<ResponseFrame[]> {
    await this.until("a finished reply", () =>
      this.responses(replyId).some((f) => f.event === "done" || f.event === "error"),
    );
    return this.responses(replyId);
  }

  connectFrame(): Extract<ServerFrame, { type: "connect" }> {
    const first = this.frames[0];
    if (first?.type !== "connect") throw new Error(`first frame is not connect: ${JSON.stringify(this.raw)}`);
    return first;
  }

  close(): void {
    try {
      this.ws.close(1000, "test done");
    } catch {
      // Already closed.
    }
  }

  private notify(): void {
    const wake = this.wake;
    this.wake = [];
    for (const w of wake) w();
  }
}

export interface OpenOptions {
  token?: string;
  headers?: Record<string, string>;
}

/** The raw answer to an upgrade (for refusals). */
export function upgrade(query: string, opts: OpenOptions = {}): Promise<Response> {
  return call(`/ws${query}`, { token: opts.token, headers: { upgrade: "websocket", ...opts.headers } });
}

/** An accepted socket whose `connect` frame has arrived. */
export async function openChatSocket(query: string, opts: OpenOptions = {}): Promise<ChatSocket> {
  const res = await upgrade(query, opts);
  const ws = res.webSocket;
  if (res.status !== 101 || !ws) throw new Error(`no upgrade: ${res.status} ${await res.text()}`);
  const socket = new ChatSocket(ws, res);
  await socket.until("connect", (frames) => frames.length > 0);
  expect(socket.frames[0]?.type).toBe("connect");
  return socket;
}

/** The reply's text as its token frames carry it. */
export function tokenText(frames: ResponseFrame[]): string {
  return frames.map((f) => (f.event === "token" ? f.text : "")).join("");
}
