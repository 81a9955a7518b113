/**
 * The edge device directory for operators (`edge:read`): the list of known devices from the D1 directory the
 * hubs keep up to date, one device's detail live from its EdgeHub, and its telemetry history (newest first,
 * cursor-paged). A device that never connected is a 404.
 */
import { createRoute, z } from "@hono/zod-openapi";
import { and, desc, eq, lt, or } from "drizzle-orm";
import { edgeHub } from "../../durable-objects/edge-hub-client";
import type { TelemetryReading } from "../../durable-objects/edge-hub-telemetry";
import { requireScope } from "../platform/auth/middleware";
import { decodeCursor, encodeCursor } from "../platform/cursor";
import { createDb } from "../platform/db/client";
import { edgeDevices } from "../platform/db/schema";
import { AppError, unwrap } from "../platform/errors";
import { bearerSecurity, errorResponses, jsonContent } from "../platform/openapi";
import { createRouter } from "../platform/validation";
import { DeviceParamsSchema } from "./edge-schemas";
import {
  DeviceDetailSchema,
  DeviceSummarySchema,
  iso,
  ReadingSchema,
  summary,
  telemetrySummary,
} from "./device-schemas";

const pageFields = {
  cursor: z
    .string()
    .max(512)
    .optional()
    .openapi({ param: { name: "cursor", in: "query" } }),
  limit: z.coerce
    .number()
    .int()
    .min(1)
    .max(500)
    .default(50)
    .openapi({ param: { name: "limit", in: "query" } }),
};

const list = createRoute({
  method: "get",
  path: "/api/v1/edge/devices",
  tags: ["edge"],
  summary: "List known edge devices, most recently first seen first",
  description:
    "From the device directory, which each device's hub updates on hello, telemetry and online/offline changes. " +
    "`online` and `last_seen` are as of the last such change; the device route asks the hub itself.",
  security: bearerSecurity,
  middleware: [requireScope("edge:read")] as const,
  request: {
    query: z.object({
      online: z
        .enum(["true", "false"])
        .optional()
        .openapi({ param: { name: "online", in: "query" } }),
      ...pageFields,
    }),
  },
  responses: {
    200: {
      description: "A page of devices",
      ...jsonContent(z.object({ devices: z.array(DeviceSummarySchema), next_cursor: z.string().nullable() })),
    },
    ...errorResponses(400, 401, 403),
  },
});

const detail = createRoute({
  method: "get",
  path: "/api/v1/edge/devices/{device_id}",
  tags: ["edge"],
  summary: "One edge device, live from its hub",
  security: bearerSecurity,
  middleware: [requireScope("edge:read")] as const,
  request: { params: DeviceParamsSchema },
  responses: {
    200: { description: "The device", ...jsonContent(DeviceDetailSchema) },
    ...errorResponses(400, 401, 403, 404),
  },
});

const telemetry = createRoute({
  method: "get",
  path: "/api/v1/edge/devices/{device_id}/telemetry",
  tags: ["edge"],
  summary: "A device's telemetry history, newest first",
  description: "The hub keeps the last 1,440 readings. `since` (ISO-8601) keeps readings taken at or after it.",
  security: bearerSecurity,
  middleware: [requireScope("edge:read")] as const,
  request: {
    params: DeviceParamsSchema,
    query: z.object({
      since: z.iso
        .datetime({ offset: true })
        .optional()
        .openapi({ param: { name: "since", in: "query" }, example: "2026-12-01T00:00:00Z" }),
      ...pageFields,
    }),
  },
  responses: {
    200: {
      description: "A page of readings",
      ...jsonContent(z.object({ readings: z.array(ReadingSchema), next_cursor: z.string().nullable() })),
    },
    ...errorResponses(400, 401, 403, 404),
  },
});

const reading = (r: TelemetryReading) => ({ id: r.id, at: iso(r.at), received_at: iso(r.received_at), data: r.data });

export const edgeDeviceRoutes = createRouter()
  .openapi(list, async (c) => {
    const q = c.req.valid("query");
    const after = q.cursor ? decodeCursor(q.cursor) : undefined;
    const conditions = [
      q.online === undefined ? undefined : eq(edgeDevices.online, q.online === "true"),
      after
        ? or(
            lt(edgeDevices.firstSeen, after.ts),
            and(eq(edgeDevices.firstSeen, after.ts), lt(edgeDevices.deviceId, after.id)),
          )
        : undefined,
    ];
    const rows = await createDb(c.env.DB)
      .select()
      .from(edgeDevices)
      .where(and(...conditions))
      .orderBy(desc(edgeDevices.firstSeen), desc(edgeDevices.deviceId))
      .limit(q.limit + 1);
    const page = rows.slice(0, q.limit);
    const last = page[page.length - 1];
    const next = rows.length > q.limit && last ? encodeCursor({ ts: last.firstSeen, id: last.deviceId }) : null;
    return c.json({ devices: page.map(summary), next_cursor: next }, 200);
  })
  .openapi(detail, async (c) => {
    const { device_id } = c.req.valid("param");
    const device = await edgeHub(c.env, device_id).detail();
    if (!device) throw new AppError(404, "device_not_found", `no edge device '${device_id}' has connected`);
    return c.json(
      {
        device_id: device.device_id,
        online: device.online,
        agent_version: device.agent_version,
        first_seen: device.first_seen === null ? null : iso(device.first_seen),
        connected_at: device.connected_at === null ? null : iso(device.connected_at),
        last_seen: device.last_seen === null ? null : iso(device.last_seen),
        open_jobs: device.open_jobs,
        open_commands: device.open_commands,
        over_temperature: device.over_temperature,
        thresholds: device.thresholds,
        telemetry: device.telemetry ? reading(device.telemetry) : null,
        telemetry_summary: device.telemetry ? telemetrySummary(device.telemetry) : null,
        models: device.models,
        loaded_models: device.loaded_models,
      },
      200,
    );
  })
  .openapi(telemetry, async (c) => {
    const { device_id } = c.req.valid("param");
    const q = c.req.valid("query");
    const after = q.cursor ? decodeCursor(q.cursor) : undefined;
    const { readings } = unwrap(
      await edgeHub(c.env, device_id).telemetryHistory({
        limit: q.limit + 1,
        since: q.since === undefined ? undefined : Date.parse(q.since),
        before: after ? { at: after.ts, id: after.id } : undefined,
      }),
    );
    const page = readings.slice(0, q.limit);
    const last = page[page.length - 1];
    const next = readings.length > q.limit && last ? encodeCursor({ ts: last.at, id: last.id }) : null;
    return c.json({ readings: page.map(reading), next_cursor: next }, 200);
  });
