/**
 * The edge device routes' response shapes: a directory row as listed, a device's detail, a telemetry reading,
 * and the short summary of a reading both show.
 */
import { z } from "@hono/zod-openapi";
import type { TelemetryReading } from "../../durable-objects/edge-hub-telemetry";
import type { edgeDevices } from "../platform/db/schema";

export const iso = (ms: number) => new Date(ms).toISOString();

export const TelemetrySummarySchema = z
  .object({
    at: z.string(),
    cpu_temp_c: z.number().nullable(),
    load_one: z.number().nullable(),
    memory_available_bytes: z.number().nullable(),
    disk_free_bytes: z.number().nullable(),
    ollama_reachable: z.boolean(),
  })
  .openapi("EdgeTelemetrySummary");

export const DeviceSummarySchema = z
  .object({
    device_id: z.string(),
    online: z.boolean(),
    first_seen: z.string(),
    last_seen: z.string(),
    agent_version: z.string().nullable(),
    telemetry: TelemetrySummarySchema.nullable(),
    over_temperature: z.boolean(),
    models: z.array(z.string()),
  })
  .openapi("EdgeDevice");

export const ReadingSchema = z
  .object({
    id: z.string(),
    at: z.string(),
    received_at: z.string(),
    data: z
      .record(z.string(), z.unknown())
      .openapi({ description: "The agent's reading (protocol.ts telemetryDataSchema)" }),
  })
  .openapi("EdgeTelemetryReading");

export const DeviceDetailSchema = z
  .object({
    device_id: z.string(),
    online: z.boolean(),
    agent_version: z.string().nullable(),
    first_seen: z.string().nullable(),
    connected_at: z.string().nullable(),
    last_seen: z.string().nullable(),
    open_jobs: z.number().int(),
    open_commands: z.number().int(),
    over_temperature: z.boolean(),
    thresholds: z.object({ alert_c: z.number(), clear_c: z.number() }),
    telemetry: ReadingSchema.nullable(),
    telemetry_summary: TelemetrySummarySchema.nullable(),
    models: z.array(z.string()),
    loaded_models: z.array(z.string()),
  })
  .openapi("EdgeDeviceDetail");

export function telemetrySummary(r: TelemetryReading): z.infer<typeof TelemetrySummarySchema> {
  return {
    at: iso(r.at),
    cpu_temp_c: r.data.cpu_temp_c,
    load_one: r.data.load?.one ?? null,
    memory_available_bytes: r.data.memory?.available_bytes ?? null,
    disk_free_bytes: r.data.disk?.free_bytes ?? null,
    ollama_reachable: r.data.ollama.reachable,
  };
}

const storedReadingSchema = z.object({
  id: z.string(),
  at: z.number(),
  received_at: z.number(),
  data: z.looseObject({ ollama: z.looseObject({ reachable: z.boolean() }) }),
});

export function summary(row: typeof edgeDevices.$inferSelect): z.infer<typeof DeviceSummarySchema> {
  // The row's JSON is the hub's TelemetryReading; checked for shape, since another deploy may have written it.
  const stored = storedReadingSchema.safeParse(row.telemetry);
  return {
    device_id: row.deviceId,
    online: row.online,
    first_seen: iso(row.firstSeen),
    last_seen: iso(row.lastSeen),
    agent_version: row.agentVersion,
    telemetry: stored.success ? telemetrySummary(row.telemetry as TelemetryReading) : null,
    over_temperature: row.overTemperature,
    models: row.models,
  };
}
