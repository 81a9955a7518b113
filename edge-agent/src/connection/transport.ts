/**
 * What the session needs from a connection to the hub, whichever way it travels (WebSocket or HTTP long-poll),
 * and the two ways opening one can fail that the connector treats specially.
 */
import type { DeviceMessage, HubMessage } from "../../../durable-objects/protocol.js";

export type TransportKind = "websocket" | "poll";

export interface Transport {
  readonly kind: TransportKind;
  /**
   * Resolves once `message` has left on this connection — the socket accepted the write, or the poll POST that
   * carried it was answered 200 — and rejects when the connection ended first.
   */
  send(message: DeviceMessage): Promise<void>;
  /**
   * Starts handing the hub's frames to `onMessage`. Frames that arrive before (the hub resends open jobs and
   * commands the moment a device connects) are held until then, so the session has said hello and can answer.
   */
  begin(): void;
  /** Ends the connection (WebSocket close code 1000); resolves once it is closed. */
  close(): Promise<void>;
  /** Resolves when the connection has ended, whoever ended it, with a reason for the log. */
  readonly closed: Promise<string>;
}

/** Where and as whom to connect, and where the hub's frames go. */
export interface TransportOptions {
  /** botplane's base URL (BOTPLANE_URL). */
  baseUrl: string;
  deviceId: string;
  token: string;
  /** Each valid hub frame, in arrival order. */
  onMessage(frame: HubMessage): void;
  /** A frame that is not valid JSON or not in the protocol: logged, the connection stays up. */
  onInvalid(text: string, problem: string): void;
}

/** The hub refused the device token (401/403): another transport would be refused the same way. */
export class AuthRejectedError extends Error {
  override readonly name = "AuthRejectedError";
  constructor(readonly status: number) {
    super(`the hub refused the device token (HTTP ${status})`);
  }
}

/** Something answered the WebSocket upgrade with plain HTTP (not 101, not 401/403): the long-poll may still work. */
export class UpgradeRefusedError extends Error {
  override readonly name = "UpgradeRefusedError";
  constructor(readonly status: number) {
    super(`the WebSocket upgrade was answered HTTP ${status}`);
  }
}

/** `{base}/api/v1/edge/{device}/{action}`, keeping any path prefix the base URL has. */
export function edgeUrl(baseUrl: string, deviceId: string, action: "connect" | "poll"): URL {
  const base = baseUrl.endsWith("/") ? baseUrl : `${baseUrl}/`;
  return new URL(`api/v1/edge/${encodeURIComponent(deviceId)}/${action}`, base);
}
