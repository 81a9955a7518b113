/**
 * What an EdgeHub knows about its device beyond jobs and commands: its telemetry (with the over-temperature
 * alert, whose crossing publishes an event and queues `alert.set` in the same transaction), the detail the
 * device route shows, and the device's row in the D1 directory, rewritten after each change.
 */
import type { Outbox } from "../workers/platform/bus/outbox";
import type { EdgeSettings } from "../workers/platform/config";
import type { CommandDesk } from "./edge-hub-command-desk";
import { DeviceDirectory, type DirectoryEntry } from "./edge-hub-directory";
import { temperatureEvent } from "./edge-hub-events";
import type { TelemetryMessage } from "./edge-hub-messages";
import type { Presence } from "./edge-hub-presence";
import type { JobStore } from "./edge-hub-store";
import { TelemetryStore, type TelemetryReading } from "./edge-hub-telemetry";

export interface HubStatus {
  device_id: string | null;
  online: boolean;
  agent_version: string | null;
  connected_at: number | null;
  last_seen: number | null;
  open_jobs: number;
}

export interface DeviceDetail extends HubStatus {
  device_id: string;
  first_seen: number | null;
  open_commands: number;
  over_temperature: boolean;
  thresholds: { alert_c: number; clear_c: number };
  telemetry: TelemetryReading | null;
  models: string[];
  loaded_models: string[];
}

export interface DeviceDeps {
  ctx: DurableObjectState;
  env: { DB: D1Database; LOG_LEVEL?: string | undefined };
  settings: EdgeSettings;
  clock: () => number;
  jobs: JobStore;
  commands: CommandDesk;
  presence: Presence;
  outbox: Outbox;
}

export class DeviceRecord {
  readonly telemetry: TelemetryStore;
  private readonly directory: DeviceDirectory;
  /** The directory row is behind the hub's state (hello, latest telemetry, presence). */
  private stale = false;

  constructor(private readonly deps: DeviceDeps) {
    this.telemetry = new TelemetryStore(deps.ctx.storage.sql);
    this.directory = new DeviceDirectory(deps.env.DB, deps.env.LOG_LEVEL);
  }

  changed(): void {
    this.stale = true;
  }

  hello(agentVersion: string): void {
    this.deps.jobs.hello(agentVersion, this.deps.clock());
    this.stale = true;
  }

  /** Stores a reading; a crossing publishes its event and queues `alert.set` in the same transaction. */
  recordTelemetry(deviceId: string, msg: TelemetryMessage): void {
    const now = this.deps.clock();
    const { tempAlertC, tempClearC } = this.deps.settings;
    this.deps.ctx.storage.transactionSync(() => {
      const recorded = this.telemetry.record(msg, now, { alertC: tempAlertC, clearC: tempClearC });
      if (recorded.latest) this.stale = true;
      if (recorded.alert === null) return;
      const raised = recorded.alert === "raised";
      const reading = {
        deviceId,
        cpuTempC: msg.data.cpu_temp_c,
        thresholdC: raised ? tempAlertC : tempClearC,
        at: Date.parse(msg.at),
      };
      this.deps.outbox.add(temperatureEvent(raised, reading, now));
      this.deps.commands.setAlert({ alert: "over_temperature", active: raised }, now);
    });
  }

  /** Everything the hub knows about its device; null for a device that never connected or polled. */
  detail(status: HubStatus): DeviceDetail | null {
    if (status.device_id === null) return null;
    const latest = this.telemetry.latest();
    return {
      ...status,
      device_id: status.device_id,
      first_seen: this.deps.presence.firstSeen(),
      open_commands: this.deps.commands.store.openCount(),
      over_temperature: this.telemetry.overTemperature(),
      thresholds: { alert_c: this.deps.settings.tempAlertC, clear_c: this.deps.settings.tempClearC },
      telemetry: latest,
      models: latest?.data.ollama.models ?? [],
      loaded_models: latest?.data.ollama.loaded ?? [],
    };
  }

  /** Brings the directory row up to date when something it shows changed; a failed write stays due. */
  async sync(): Promise<void> {
    if (!this.stale) return;
    this.stale = false;
    if (!(await this.directory.sync(() => this.entry()))) this.stale = true;
  }

  private entry(): DirectoryEntry | null {
    const device = this.deps.jobs.device();
    if (!device) return null;
    const now = this.deps.clock();
    return {
      device_id: device.device_id,
      first_seen: this.deps.presence.firstSeen() ?? device.connected_at ?? now,
      last_seen: this.deps.presence.lastSeen() ?? now,
      agent_version: device.agent_version,
      online: this.deps.presence.announced(),
      telemetry: this.telemetry.latest(),
      over_temperature: this.telemetry.overTemperature(),
    };
  }
}
