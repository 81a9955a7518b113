/**
 * One telemetry reading in the protocol's shape (`telemetryDataSchema`, snake_case): the system readers'
 * snapshot (all null when hardware monitoring is off) plus the local Ollama's state — reachable, the models
 * pulled (`/api/tags`) and loaded (`/api/ps`). Validated here, before it is buffered or sent.
 */
import { randomUUID } from "node:crypto";
import { telemetryDataSchema } from "../../../durable-objects/protocol.js";
import type { TelemetryData } from "../../../durable-objects/protocol.js";
import { listModels, loadedModels } from "../llm/ollama-forwarder.js";
import { readSystemTelemetry } from "./system.js";
import type { SystemReaderOptions, SystemTelemetry } from "./system.js";

export interface ReadingOptions {
  /** null when ENABLE_HARDWARE_MONITORING is false: no file is read and no program is run. */
  system: SystemReaderOptions | null;
  ollamaUrl: string;
  /** How long each Ollama probe may take; default 5 s. */
  ollamaTimeoutMs?: number;
  onError?: (what: string, err: unknown) => void;
}

/** A reading as buffered and sent: `{type: "telemetry"}` minus the type. */
export type TelemetrySample = {
  id: string;
  at: string;
  data: TelemetryData;
};

const NO_SYSTEM: SystemTelemetry = {
  cpuTemperatureC: null,
  load: null,
  cpuCount: null,
  memory: null,
  disk: null,
  uptimeSeconds: null,
  throttled: null,
};

export async function takeReading(options: ReadingOptions): Promise<TelemetryData> {
  const [system, ollama] = await Promise.all([
    options.system === null ? NO_SYSTEM : readSystemTelemetry(options.system, options.onError),
    readOllama(options),
  ]);
  return telemetryDataSchema.parse(toProtocol(system, ollama));
}

/** A new reading with its de-duplication id and time. */
export function newSample(data: TelemetryData, now: Date = new Date()): TelemetrySample {
  return { id: randomUUID(), at: now.toISOString(), data };
}

async function readOllama(options: ReadingOptions): Promise<TelemetryData["ollama"]> {
  const timeout = () => AbortSignal.timeout(options.ollamaTimeoutMs ?? 5000);
  try {
    const pulled = await listModels(options.ollamaUrl, timeout());
    // Reachable is decided by /api/tags; an older Ollama without /api/ps still counts as up.
    const loaded = await loadedModels(options.ollamaUrl, timeout()).catch((err: unknown) => {
      options.onError?.("ollama /api/ps", err);
      return [];
    });
    return {
      reachable: true,
      models: pulled.map((m) => m.name.slice(0, 256)).slice(0, 500),
      loaded: loaded.map((m) => m.name.slice(0, 256)).slice(0, 500),
    };
  } catch (err) {
    options.onError?.("ollama", err);
    return { reachable: false, models: [], loaded: [] };
  }
}

function toProtocol(s: SystemTelemetry, ollama: TelemetryData["ollama"]): TelemetryData {
  const t = s.throttled;
  return {
    cpu_temp_c: s.cpuTemperatureC,
    load: s.load,
    cpu_count: s.cpuCount,
    memory: s.memory && { total_bytes: s.memory.totalBytes, available_bytes: s.memory.availableBytes },
    disk: s.disk && { total_bytes: s.disk.totalBytes, free_bytes: s.disk.freeBytes },
    uptime_s: s.uptimeSeconds,
    throttled: t && {
      raw: t.raw,
      under_voltage: t.underVoltage,
      arm_frequency_capped: t.armFrequencyCapped,
      throttled: t.throttled,
      soft_temperature_limit: t.softTemperatureLimit,
      under_voltage_occurred: t.underVoltageOccurred,
      arm_frequency_capped_occurred: t.armFrequencyCappedOccurred,
      throttled_occurred: t.throttledOccurred,
      soft_temperature_limit_occurred: t.softTemperatureLimitOccurred,
    },
    ollama,
  };
}
