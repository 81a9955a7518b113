/**
 * Operator routes for edge commands: enqueue one for a device (optionally waiting for its result), read one,
 * list a device's recent commands. The device's EdgeHub stores and delivers them (durable-objects/
 * edge-hub-commands.ts); these routes only validate, authorise and present.
 */
import { createRoute, z } from "@hono/zod-openapi";
import type { CommandRow } from "../../durable-objects/edge-hub-commands";
import { edgeHub } from "../../durable-objects/edge-hub-client";
import { commandIdSchema, commandSpecSchema, HUB_COMMAND_NAMES } from "../../durable-objects/protocol";
import { requireScope } from "../platform/auth/middleware";
import { unwrap } from "../platform/errors";
import { bearerSecurity, errorResponses, jsonContent } from "../platform/openapi";
import { createRouter } from "../platform/validation";
import { DeviceParamsSchema, waitSchema } from "./edge-schemas";

const CommandSchema = z
  .object({
    id: z.string(),
    seq: z.number().int(),
    device_id: z.string(),
    name: z.enum(HUB_COMMAND_NAMES).openapi({ description: "`alert.set` is the hub's own (over temperature)" }),
    args: z.record(z.string(), z.unknown()),
    status: z.enum(["pending", "delivered", "succeeded", "failed", "rejected", "expired"]),
    attempts: z.number().int().openapi({ description: "How many times it was sent to the device" }),
    result: z.unknown(),
    error: z.string().nullable(),
    created_at: z.string(),
    expires_at: z.string(),
    delivered_at: z.string().nullable(),
    finished_at: z.string().nullable(),
  })
  .openapi("EdgeCommand");

const EnqueueSchema = z
  .intersection(
    commandSpecSchema,
    z.object({
      expires_in: z
        .number()
        .int()
        .min(1)
        .max(86_400)
        .optional()
        .openapi({ description: "Seconds until the command expires unrun (default 300)" }),
    }),
  )
  .openapi({ example: { name: "gpio.write", args: { pin: 18, value: 1 } } });

const CommandParamsSchema = DeviceParamsSchema.extend({
  command_id: commandIdSchema.openapi({ param: { name: "command_id", in: "path" } }),
});

const iso = (ms: number | null) => (ms === null ? null : new Date(ms).toISOString());

function present(deviceId: string, c: CommandRow): z.infer<typeof CommandSchema> {
  return {
    id: c.id,
    seq: c.seq,
    device_id: deviceId,
    name: c.name,
    args: c.args,
    status: c.status,
    attempts: c.attempts,
    result: c.result,
    error: c.error,
    created_at: new Date(c.created_at).toISOString(),
    expires_at: new Date(c.expires_at).toISOString(),
    delivered_at: iso(c.delivered_at),
    finished_at: iso(c.finished_at),
  };
}

const finished = (c: CommandRow) => c.status !== "pending" && c.status !== "delivered";

const enqueue = createRoute({
  method: "post",
  path: "/api/v1/edge/devices/{device_id}/commands",
  tags: ["edge"],
  summary: "Send a command to an edge device",
  description:
    "Queues the command; it is delivered at least once (resent after reconnects until the device answers) and " +
    "marked `expired` if unanswered past `expires_in`. With `?wait=5s` the answer waits that long for the result: " +
    "200 with the finished command, or 202 while it is still pending. Without `wait`: 201.",
  security: bearerSecurity,
  middleware: [requireScope("edge:command")] as const,
  request: {
    params: DeviceParamsSchema,
    query: z.object({ wait: waitSchema(0, 30_000) }),
    body: { required: true, ...jsonContent(EnqueueSchema) },
  },
  responses: {
    200: { description: "Finished within `wait`", ...jsonContent(CommandSchema) },
    201: { description: "Queued", ...jsonContent(CommandSchema) },
    202: { description: "Still pending after `wait`", ...jsonContent(CommandSchema) },
    ...errorResponses(400, 401, 403, 415),
  },
});

const getOne = createRoute({
  method: "get",
  path: "/api/v1/edge/devices/{device_id}/commands/{command_id}",
  tags: ["edge"],
  summary: "Read one command and its result",
  security: bearerSecurity,
  middleware: [requireScope("edge:read")] as const,
  request: { params: CommandParamsSchema },
  responses: {
    200: { description: "The command", ...jsonContent(CommandSchema) },
    ...errorResponses(400, 401, 403, 404),
  },
});

const list = createRoute({
  method: "get",
  path: "/api/v1/edge/devices/{device_id}/commands",
  tags: ["edge"],
  summary: "List a device's recent commands, newest first",
  security: bearerSecurity,
  middleware: [requireScope("edge:read")] as const,
  request: {
    params: DeviceParamsSchema,
    query: z.object({
      limit: z.coerce
        .number()
        .int()
        .min(1)
        .max(500)
        .default(50)
        .openapi({ param: { name: "limit", in: "query" } }),
    }),
  },
  responses: {
    200: { description: "Recent commands", ...jsonContent(z.object({ commands: z.array(CommandSchema) })) },
    ...errorResponses(400, 401, 403),
  },
});

export const edgeCommandRoutes = createRouter()
  .openapi(enqueue, async (c) => {
    const { device_id } = c.req.valid("param");
    const { wait } = c.req.valid("query");
    const { expires_in, ...spec } = c.req.valid("json");
    const hub = edgeHub(c.env, device_id);
    const input = expires_in === undefined ? spec : { ...spec, expiresInMs: expires_in * 1000 };
    const { command } = unwrap(await hub.enqueueCommand(input));
    if (wait === 0) return c.json(present(device_id, command), 201);
    const { command: after } = unwrap(await hub.awaitCommand(command.id, wait));
    return c.json(present(device_id, after), finished(after) ? 200 : 202);
  })
  .openapi(getOne, async (c) => {
    const { device_id, command_id } = c.req.valid("param");
    const { command } = unwrap(await edgeHub(c.env, device_id).awaitCommand(command_id, 0));
    return c.json(present(device_id, command), 200);
  })
  .openapi(list, async (c) => {
    const { device_id } = c.req.valid("param");
    const { limit } = c.req.valid("query");
    const commands = await edgeHub(c.env, device_id).listCommands(limit);
    return c.json({ commands: commands.map((cmd) => present(device_id, cmd)) }, 200);
  });
