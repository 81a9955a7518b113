/**
 * Test devices for the EdgeHub: a device's WebSocket opened through the Worker's real connect route with a
 * device token (`sub` = the device id), not yet accepted, so each test registers its listeners first.
 */
import { call, token } from "../helpers";

export async function openDeviceSocket(id: string): Promise<WebSocket> {
  const res = await call(`/api/v1/edge/${id}/connect`, {
    token: await token(["edge:device"], { sub: id }),
    headers: { upgrade: "websocket" },
  });
  const ws = res.webSocket;
  if (res.status !== 101 || !ws) throw new Error(`no upgrade: ${res.status} ${await res.text()}`);
  return ws;
}
