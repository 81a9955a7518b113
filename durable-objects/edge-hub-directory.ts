/**
 * EdgeHub's copy of its device in the D1 device directory (`edge_devices`), which the device list and the
 * /metrics gauges read. Best effort: the hub stays the source of truth, a failed write is logged and the next
 * change writes the whole row again. Writes are serialised and read the hub's state when they start, so a
 * slow write can never land after a newer one with older data.
 */
import { sql } from "drizzle-orm";
import { createDb } from "../workers/platform/db/client";
import { edgeDevices } from "../workers/platform/db/schema";
import { createLogger } from "../workers/platform/logger";
import type { TelemetryReading } from "./edge-hub-telemetry";

export interface DirectoryEntry {
  device_id: string;
  first_seen: number;
  last_seen: number;
  agent_version: string | null;
  online: boolean;
  telemetry: TelemetryReading | null;
  over_temperature: boolean;
}

export class DeviceDirectory {
  private running: Promise<boolean> | null = null;
  private again = false;

  constructor(
    private readonly d1: D1Database,
    private readonly logLevel: string | undefined,
  ) {}

  /**
   * Writes the row `snapshot` gives when the write starts (null: nothing to write yet). Resolves false when
   * the write failed (logged), so the caller can mark the row behind and try again on its next change.
   */
  sync(snapshot: () => DirectoryEntry | null): Promise<boolean> {
    if (this.running) {
      this.again = true;
      return this.running;
    }
    this.running = this.drain(snapshot).finally(() => {
      this.running = null;
    });
    return this.running;
  }

  private async drain(snapshot: () => DirectoryEntry | null): Promise<boolean> {
    let ok = true;
    do {
      this.again = false;
      const entry = snapshot();
      if (!entry) return ok;
      try {
        await this.upsert(entry);
        ok = true;
      } catch (err) {
        ok = false;
        createLogger("edge", this.logLevel).warn("device directory write failed; the next change retries it", {
          device_id: entry.device_id,
          error: err instanceof Error ? err.message : String(err),
        });
      }
    } while (this.again);
    return ok;
  }

  private async upsert(entry: DirectoryEntry): Promise<void> {
    const row = {
      deviceId: entry.device_id,
      firstSeen: entry.first_seen,
      lastSeen: entry.last_seen,
      agentVersion: entry.agent_version,
      online: entry.online,
      telemetry: entry.telemetry,
      overTemperature: entry.over_temperature,
      models: entry.telemetry?.data.ollama.models ?? [],
      updatedAt: Date.now(),
    };
    await createDb(this.d1)
      .insert(edgeDevices)
      .values(row)
      .onConflictDoUpdate({
        target: edgeDevices.deviceId,
        set: {
          firstSeen: sql`min(${edgeDevices.firstSeen}, excluded.first_seen)`,
          lastSeen: row.lastSeen,
          agentVersion: row.agentVersion,
          online: row.online,
          telemetry: row.telemetry,
          overTemperature: row.overTemperature,
          models: row.models,
          updatedAt: row.updatedAt,
        },
      });
  }
}
