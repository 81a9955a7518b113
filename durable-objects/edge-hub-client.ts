/**
 * How Worker code reaches a device's EdgeHub: a typed stub (the model gateway's ollama provider and the edge
 * routes both use it) and the request the connect route forwards once the device token checked out.
 */
import type { Env } from "../workers/platform/env";
import { type RpcOf, stubOf } from "../workers/platform/rpc";
import type { EdgeHub } from "./edge-hub";

export type EdgeHubRpc = RpcOf<EdgeHub>;

export function edgeHub(env: Pick<Env, "EDGE_HUB">, deviceId: string): EdgeHubRpc {
  return stubOf(env.EDGE_HUB, deviceId);
}

const INTERNAL_ORIGIN = "https://edge-hub.internal";

/** The upgrade the hub accepts: only the device id travels, the credential stays in the Worker. */
export function connectRequest(deviceId: string): Request {
  const url = new URL("/connect", INTERNAL_ORIGIN);
  url.searchParams.set("device_id", deviceId);
  return new Request(url, { headers: { upgrade: "websocket" } });
}
