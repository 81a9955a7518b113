/**
 * An in-process EdgeHub stand-in for the agent's tests: the WebSocket route (`ws` server) and the long-poll
 * route (node:http) at botplane's paths, speaking durable-objects/protocol.ts. It records every device message
 * with the transport it came on, lets a test send hub frames (on the socket, or queued for the next poll), drop
 * connections, refuse the upgrade with a status, fail polls, and go down and come back on the same port.
 */
import { createServer } from "node:http";
import type { IncomingMessage, Server, ServerResponse } from "node:http";
import type { AddressInfo, Socket } from "node:net";
import { WebSocketServer } from "ws";
import type WebSocket from "ws";
import { PING, PONG, deviceMessageSchema } from "../../durable-objects/protocol.js";
import type { DeviceMessage, HubMessage } from "../../durable-objects/protocol.js";

export interface Received {
  via: "websocket" | "poll";
  message: DeviceMessage;
}

export interface FakeHubOptions {
  deviceId: string;
  token: string;
  /** Answer every upgrade with this HTTP status instead of switching (a proxy refusing WebSockets). */
  refuseUpgrade?: number;
}

export class FakeHub {
  readonly received: Received[] = [];
  /** Close codes of sockets the device closed, in order. */
  readonly closes: number[] = [];
  upgrades = 0;
  polls = 0;
  /** False: `{"type":"ping"}` goes unanswered, like a half-open connection. */
  answerPings = true;
  /** Frames sent on each new socket at once, before the device says anything (the hub's resend on connect). */
  greeting: HubMessage[] = [];
  /** Answer this many of the next polls with HTTP 500. */
  failPolls = 0;
  #server: Server | undefined;
  #port = 0;
  readonly #wss = new WebSocketServer({ noServer: true });
  readonly #sockets = new Set<WebSocket>();
  readonly #raw = new Set<Socket>();
  #pollQueue: HubMessage[] = [];
  #pollWaiters = new Set<() => void>();

  constructor(readonly options: FakeHubOptions) {}

  get url(): string {
    return `http://127.0.0.1:${this.#port}`;
  }

  /** Messages of one type, in arrival order. */
  messages<T extends DeviceMessage["type"]>(type: T): Extract<DeviceMessage, { type: T }>[] {
    return this.received.map((r) => r.message).filter((m): m is Extract<DeviceMessage, { type: T }> => m.type === type);
  }

  async start(): Promise<void> {
    const server = createServer((req, res) => void this.#poll(req, res));
    server.on("upgrade", (req: IncomingMessage, socket: Socket, head: Buffer) => this.#upgrade(req, socket, head));
    server.on("connection", (socket) => {
      this.#raw.add(socket);
      socket.once("close", () => this.#raw.delete(socket));
    });
    await new Promise<void>((resolve) => server.listen(this.#port, "127.0.0.1", resolve));
    this.#port = (server.address() as AddressInfo).port;
    this.#server = server;
  }

  /** Hub down: every connection cut, nothing listening (the port is kept for start()). */
  async stop(): Promise<void> {
    const server = this.#server;
    this.#server = undefined;
    for (const socket of this.#sockets) socket.terminate();
    for (const socket of this.#raw) socket.destroy();
    this.#wakePolls();
    if (server) await new Promise<void>((resolve) => server.close(() => resolve()));
  }

  /** Sends a frame on every open socket, or queues it for the next poll when none is open. */
  send(frame: HubMessage): void {
    const open = [...this.#sockets].filter((s) => s.readyState === s.OPEN);
    if (open.length === 0) {
      this.#pollQueue.push(frame);
      this.#wakePolls();
      return;
    }
    for (const socket of open) socket.send(JSON.stringify(frame));
  }

  /** Cuts the device's sockets without a close handshake (Wi-Fi loss, hub eviction). */
  dropSockets(): void {
    for (const socket of this.#sockets) socket.terminate();
  }

  #authorized(req: IncomingMessage, action: string): boolean {
    return (
      req.headers.authorization === `Bearer ${this.options.token}` &&
      (req.url ?? "").startsWith(`/api/v1/edge/${this.options.deviceId}/${action}`)
    );
  }

  #upgrade(req: IncomingMessage, socket: Socket, head: Buffer): void {
    this.upgrades += 1;
    const refuse = (status: number) => {
      socket.end(`HTTP/1.1 ${status} Refused\r\nContent-Length: 0\r\nConnection: close\r\n\r\n`);
    };
    if (this.options.refuseUpgrade !== undefined) return refuse(this.options.refuseUpgrade);
    if (!this.#authorized(req, "connect")) return refuse(401);
    this.#wss.handleUpgrade(req, socket, head, (ws) => {
      this.#sockets.add(ws);
      for (const frame of this.greeting) ws.send(JSON.stringify(frame));
      ws.on("message", (data) => {
        const text = String(data);
        if (text === PING) {
          if (this.answerPings) ws.send(PONG);
          return;
        }
        this.#record("websocket", text);
      });
      ws.once("close", (code) => {
        this.#sockets.delete(ws);
        this.closes.push(code);
      });
    });
  }

  async #poll(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    if (!this.#authorized(req, "poll")) {
      res.writeHead(401, { "content-type": "application/json" }).end('{"error":{"code":"unauthorized"}}');
      return;
    }
    this.polls += 1;
    if (this.failPolls > 0) {
      this.failPolls -= 1;
      res.writeHead(500, { "content-type": "application/json" }).end('{"error":{"code":"internal"}}');
      return;
    }
    const body = JSON.parse(Buffer.concat(chunks).toString("utf8")) as { messages: unknown[] };
    for (const message of body.messages) this.#record("poll", JSON.stringify(message));
    const wait = /wait=(\d+)s/.exec(req.url ?? "")?.[1];
    if (this.#pollQueue.length === 0 && Number(wait) > 0) {
      await new Promise<void>((resolve) => {
        const done = () => {
          clearTimeout(timer);
          this.#pollWaiters.delete(done);
          resolve();
        };
        const timer = setTimeout(done, Number(wait) * 1000);
        this.#pollWaiters.add(done);
        res.once("close", done);
      });
    }
    if (res.destroyed) return;
    const messages = this.#pollQueue.splice(0);
    res.writeHead(200, { "content-type": "application/json" }).end(JSON.stringify({ messages }));
  }

  #wakePolls(): void {
    for (const wake of [...this.#pollWaiters]) wake();
  }

  #record(via: Received["via"], text: string): void {
    const parsed = deviceMessageSchema.safeParse(JSON.parse(text));
    if (!parsed.success) throw new Error(`the agent sent a message outside the protocol: ${text}`);
    this.received.push({ via, message: parsed.data });
  }
}

/** Resolves once `check` holds, polling every 10 ms (the test's own timeout bounds the wait). */
export async function until(check: () => boolean | Promise<boolean>): Promise<void> {
  while (!(await check())) await new Promise((resolve) => setTimeout(resolve, 10));
}
