/**
 * How Worker code reaches a device's EdgeHub: a typed stub (the model gateway's ollama provider and the edge
 * routes both use it) and the request the connect route forwards once the device token checked out.
 */
import type { Env } from "../workers/platform/env";
import type { EdgeHub } from "./edge-hub";

type Method = (...args: never[]) => unknown;

/** The hub's public methods as plain promises (workers-types' RPC mapping chokes on `unknown` payloads). */
export type EdgeHubRpc = {
  [K in keyof EdgeHub as EdgeHub[K] extends Method ? K : never]: EdgeHub[K] extends (...args: infer A) => infer R
    ? (...args: A) => Promise<Awaited<R>>
    : never;
};

export function edgeHub(env: Env, deviceId: string): EdgeHubRpc {
  return env.EDGE_HUB.getByName(deviceId) as unknown as EdgeHubRpc;
}

const INTERNAL_ORIGIN = "https://edge-hub.internal";

/** The upgrade the hub accepts: only the device id travels, the credential stays in the Worker. */
export function connectRequest(deviceId: string): Request {
  const url = new URL("/connect", INTERNAL_ORIGIN);
  url.searchParams.set("device_id", deviceId);
  return new Request(url, { headers: { upgrade: "websocket" } });
}
