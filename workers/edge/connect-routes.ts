/**
 * `GET /api/v1/edge/{device_id}/connect`: where an edge device (the Pi's edge-agent) opens its WebSocket.
 * The device token is checked here, before anything is upgraded — scope `edge:device` and `sub` equal to the
 * device id, so one device can never take another's jobs — and the upgrade is then handed to that device's
 * EdgeHub, which owns the connection (hibernation API). Messages: durable-objects/protocol.ts.
 */
import { createRoute, z } from "@hono/zod-openapi";
import { connectRequest, edgeHub } from "../../durable-objects/edge-hub-client";
import { deviceIdSchema } from "../../durable-objects/protocol";
import { requireScope } from "../platform/auth/middleware";
import { AppError } from "../platform/errors";
import { bearerSecurity, ErrorSchema, errorResponses, jsonContent } from "../platform/openapi";
import { createRouter } from "../platform/validation";

const ParamsSchema = z.object({
  device_id: deviceIdSchema.openapi({ param: { name: "device_id", in: "path" }, example: "pi-kitchen" }),
});

const connect = createRoute({
  method: "get",
  path: "/api/v1/edge/{device_id}/connect",
  tags: ["edge"],
  summary: "Connect an edge device to its hub (WebSocket)",
  description:
    "Send `Upgrade: websocket` with `Authorization: Bearer <device token>` (scope `edge:device`, `sub` = the device id). " +
    "The hub sends `job`, `cancel` and `command` frames; the device sends `hello`, `heartbeat`, `ack`, `chunk`, `done`, `error` " +
    "and `command_result` frames " +
    '(schemas in durable-objects/protocol.ts). `{"type":"ping"}` is answered `{"type":"pong"}`. Unacked jobs and unanswered ' +
    "commands are resent on reconnect. Without WebSockets, use `POST /api/v1/edge/{device_id}/poll`.",
  security: bearerSecurity,
  middleware: [requireScope("edge:device")] as const,
  request: { params: ParamsSchema },
  responses: {
    101: { description: "Switched to a WebSocket" },
    ...errorResponses(400, 401, 403),
    426: { description: "The request did not ask for a WebSocket upgrade", ...jsonContent(ErrorSchema) },
  },
});

export const edgeConnectRoutes = createRouter().openapi(connect, async (c) => {
  const { device_id } = c.req.valid("param");
  const principal = c.get("principal");
  // Not even admin: a connection *is* the device, and a token names exactly one device.
  if (principal.sub !== device_id) {
    throw new AppError(403, "forbidden", `this token is for '${principal.sub}', not device '${device_id}'`, {
      required: `sub = ${device_id}`,
    });
  }
  if (c.req.header("upgrade")?.toLowerCase() !== "websocket") {
    throw new AppError(426, "upgrade_required", "connect with a WebSocket upgrade", undefined, {
      upgrade: "websocket",
    });
  }
  return edgeHub(c.env, device_id).fetch(connectRequest(device_id));
});
