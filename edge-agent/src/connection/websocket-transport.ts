/**
 * The WebSocket transport (the `ws` client: Node 20 has no global WebSocket). The device token rides in the
 * upgrade's Authorization header, never in the URL. Keep-alive: `{"type":"ping"}` every `pingIntervalMs`, which
 * the hub's runtime answers `{"type":"pong"}`; when two intervals pass with nothing at all received, the socket
 * is taken for dead (a half-open TCP connection after Wi-Fi loss never closes by itself) and terminated.
 */
import WebSocket from "ws";
import { PING } from "../../../durable-objects/protocol.js";
import type { DeviceMessage } from "../../../durable-objects/protocol.js";
import { deliverText } from "./parse-frame.js";
import { AuthRejectedError, UpgradeRefusedError, edgeUrl } from "./transport.js";
import type { Transport, TransportOptions } from "./transport.js";

export interface WebSocketTransportOptions extends TransportOptions {
  /** Keep-alive period; default 30 s. */
  pingIntervalMs?: number;
  /** How long the opening handshake may take; default 15 s. */
  handshakeTimeoutMs?: number;
}

/**
 * Opens the socket. Rejects with AuthRejectedError for a 401/403 answer, UpgradeRefusedError for any other
 * HTTP answer instead of 101 (a proxy that strips or refuses the upgrade, a 426, a 5xx from a gateway), and the
 * underlying network error otherwise (refused, unreachable, TLS, handshake timeout).
 */
export function openWebSocket(options: WebSocketTransportOptions, signal?: AbortSignal): Promise<Transport> {
  const url = edgeUrl(options.baseUrl, options.deviceId, "connect");
  url.protocol = url.protocol === "https:" ? "wss:" : "ws:";
  const socket = new WebSocket(url, {
    headers: { authorization: `Bearer ${options.token}` },
    handshakeTimeout: options.handshakeTimeoutMs ?? 15_000,
    // No permessage-deflate: frames are small JSON, and compressing each one cost the agent more CPU than
    // all its other work per inference together (measured in the bench), the hub the same to inflate them.
    perMessageDeflate: false,
  });
  return new Promise((resolve, reject) => {
    // ws emits "error" after a handled unexpected response too; the first outcome settles the promise.
    socket.on("error", (err) => reject(err));
    socket.once("unexpected-response", (_request, response) => {
      const status = response.statusCode ?? 0;
      response.resume();
      reject(status === 401 || status === 403 ? new AuthRejectedError(status) : new UpgradeRefusedError(status));
      socket.terminate();
    });
    // Shutdown during the handshake: give up at once rather than wait out handshakeTimeoutMs.
    const onAbort = () => {
      reject(new Error("connection attempt abandoned"));
      socket.terminate();
    };
    if (signal?.aborted) onAbort();
    signal?.addEventListener("abort", onAbort, { once: true });
    socket.once("open", () => {
      signal?.removeEventListener("abort", onAbort);
      resolve(wrap(socket, options));
    });
  });
}

function wrap(socket: WebSocket, options: WebSocketTransportOptions): Transport {
  const pingIntervalMs = options.pingIntervalMs ?? 30_000;
  let silentIntervals = 0;
  const closed = new Promise<string>((resolve) => {
    socket.once("close", (code, reason) => {
      clearInterval(keepAlive);
      resolve(`socket closed (${code}${reason.length > 0 ? ` ${reason.toString("utf8")}` : ""})`);
    });
  });
  // Frames received before begin(), in order.
  let held: string[] | undefined = [];
  socket.on("message", (data, isBinary) => {
    silentIntervals = 0;
    if (isBinary) {
      options.onInvalid("(binary frame)", "the hub speaks text frames only");
      return;
    }
    if (held) held.push(rawText(data));
    else deliverText(rawText(data), options);
  });
  socket.on("pong", () => {
    silentIntervals = 0;
  });
  const keepAlive = setInterval(() => {
    if (silentIntervals >= 2) {
      socket.terminate();
      return;
    }
    silentIntervals += 1;
    socket.send(PING);
  }, pingIntervalMs);

  return {
    kind: "websocket",
    closed,
    begin() {
      const frames = held ?? [];
      held = undefined;
      for (const text of frames) deliverText(text, options);
    },
    send(message: DeviceMessage) {
      return new Promise((resolve, reject) => {
        if (socket.readyState !== WebSocket.OPEN) {
          reject(new Error("the socket is not open"));
          return;
        }
        socket.send(JSON.stringify(message), (err) => (err ? reject(err) : resolve()));
      });
    },
    async close() {
      if (socket.readyState === WebSocket.OPEN || socket.readyState === WebSocket.CONNECTING) {
        socket.close(1000, "agent stopping");
      }
      // A hub that never answers the close frame must not hold up shutdown.
      const timer = setTimeout(() => socket.terminate(), 3000);
      await closed;
      clearTimeout(timer);
    },
  };
}

function rawText(data: WebSocket.RawData): string {
  if (Array.isArray(data)) return Buffer.concat(data).toString("utf8");
  if (data instanceof ArrayBuffer) return Buffer.from(data).toString("utf8");
  return data.toString("utf8");
}
