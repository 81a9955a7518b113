/**
 * `/metrics` gauges for edge devices, from the D1 device directory: `edge_devices{status}` over every known
 * device, and per device (the most recently seen ones, bounded so a large fleet cannot blow up a scrape)
 * `edge_device_cpu_temperature_celsius`, `edge_device_over_temperature` and `edge_device_last_seen_seconds`.
 */
import { count, desc } from "drizzle-orm";
import { z } from "zod";
import { createDb } from "../platform/db/client";
import { edgeDevices } from "../platform/db/schema";
import type { Env } from "../platform/env";
import { edgeCpuTemperature, edgeDevicesGauge, edgeLastSeen, edgeOverTemperature } from "../platform/metrics/catalog";
import type { GaugeSample } from "../platform/metrics/exposition";

/** Per-device series are kept for this many devices at most (the most recently seen). */
export const EDGE_GAUGE_DEVICES = 500;

const tempSchema = z.object({ data: z.object({ cpu_temp_c: z.number().nullable() }) });

export async function edgeDeviceGauges(env: Env): Promise<GaugeSample[]> {
  const db = createDb(env.DB);
  const [byStatus, rows] = await Promise.all([
    db.select({ online: edgeDevices.online, n: count() }).from(edgeDevices).groupBy(edgeDevices.online),
    db
      .select({
        deviceId: edgeDevices.deviceId,
        lastSeen: edgeDevices.lastSeen,
        telemetry: edgeDevices.telemetry,
        overTemperature: edgeDevices.overTemperature,
      })
      .from(edgeDevices)
      .orderBy(desc(edgeDevices.lastSeen))
      .limit(EDGE_GAUGE_DEVICES),
  ]);
  const samples: GaugeSample[] = (["online", "offline"] as const).map((status) => ({
    family: edgeDevicesGauge,
    labels: { status },
    value: byStatus.find((r) => r.online === (status === "online"))?.n ?? 0,
  }));
  for (const row of rows) {
    const labels = { device_id: row.deviceId };
    const temp = tempSchema.safeParse(row.telemetry);
    const celsius = temp.success ? temp.data.data.cpu_temp_c : null;
    if (celsius !== null) samples.push({ family: edgeCpuTemperature, labels, value: celsius });
    samples.push({ family: edgeOverTemperature, labels, value: row.overTemperature ? 1 : 0 });
    samples.push({ family: edgeLastSeen, labels, value: row.lastSeen / 1000 });
  }
  return samples;
}
