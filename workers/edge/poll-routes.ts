/**
 * `POST /api/v1/edge/{device_id}/poll`: the long-poll channel beside the WebSocket, for a device behind a
 * proxy that blocks upgrades. Same messages both ways (durable-objects/protocol.ts): the device posts what it
 * would have sent on the socket and is answered what the hub would have sent, waiting up to `?wait=` when
 * nothing is queued. Same device token rule as the connect route.
 */
import { createRoute, z } from "@hono/zod-openapi";
import { edgeHub } from "../../durable-objects/edge-hub-client";
import { deviceMessageSchema, hubMessageSchema, type HubMessage } from "../../durable-objects/protocol";
import { requireScope } from "../platform/auth/middleware";
import { unwrap } from "../platform/errors";
import { bearerSecurity, errorResponses, jsonContent } from "../platform/openapi";
import { createRouter } from "../platform/validation";
import { DeviceParamsSchema, requireDevice, waitSchema } from "./edge-schemas";

const poll = createRoute({
  method: "post",
  path: "/api/v1/edge/{device_id}/poll",
  tags: ["edge"],
  summary: "Long-poll an edge device's hub (HTTP fallback for the WebSocket)",
  description:
    "Device token only (scope `edge:device`, `sub` = the device id). The body's `messages` are applied exactly as " +
    "frames on the socket (hello, heartbeat, ack, chunk, done, error, command_result); the answer holds the hub's " +
    "frames: error frames for those messages, cancels, unacked jobs and open commands (handed out again after 30 s " +
    "until acked or answered). With nothing to send, the answer waits up to `wait` (default 20s, max 25s).",
  security: bearerSecurity,
  middleware: [requireScope("edge:device")] as const,
  request: {
    params: DeviceParamsSchema,
    query: z.object({ wait: waitSchema(20_000, 25_000) }),
    body: { required: true, ...jsonContent(z.object({ messages: z.array(deviceMessageSchema).max(1000) })) },
  },
  responses: {
    200: { description: "The hub's frames", ...jsonContent(z.object({ messages: z.array(hubMessageSchema) })) },
    ...errorResponses(400, 401, 403, 415),
  },
});

export const edgePollRoutes = createRouter().openapi(poll, async (c) => {
  const { device_id } = c.req.valid("param");
  requireDevice(c.get("principal"), device_id);
  const { wait } = c.req.valid("query");
  const { messages } = c.req.valid("json");
  const { body } = unwrap(await edgeHub(c.env, device_id).poll({ deviceId: device_id, messages, waitMs: wait }));
  // The hub builds the body from its stored JSON (job requests spliced in), as it writes socket frames.
  return c.json(JSON.parse(body) as { messages: HubMessage[] }, 200);
});
