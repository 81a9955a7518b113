/**
 * The bus events an EdgeHub announces (all through its outbox; subjects `edge.>` are reserved for admin
 * publishers): a device going online or offline, and its over-temperature alert raised or cleared.
 */
import { createEvent, type BusEvent } from "../workers/platform/bus/envelope";

const SOURCE = "edge-hub";

export type Transport = "websocket" | "poll";
/** `closed`: the socket closed; `silent`: neither heartbeat nor poll within EDGE_OFFLINE_AFTER. */
export type OfflineReason = "closed" | "silent";

const iso = (ms: number) => new Date(ms).toISOString();

export function onlineEvent(deviceId: string, transport: Transport, now: number): BusEvent {
  const payload = { device_id: deviceId, transport, at: iso(now) };
  return createEvent({ type: "edge.device.online.v1", source: SOURCE, payload, now });
}

export function offlineEvent(deviceId: string, reason: OfflineReason, lastSeen: number | null, now: number): BusEvent {
  const payload = { device_id: deviceId, reason, last_seen: lastSeen === null ? null : iso(lastSeen), at: iso(now) };
  return createEvent({ type: "edge.device.offline.v1", source: SOURCE, payload, now });
}

/** `at` is the reading's time; `threshold_c` the alert threshold when raised, the clear one when cleared. */
export function temperatureEvent(
  raised: boolean,
  reading: { deviceId: string; cpuTempC: number | null; thresholdC: number; at: number },
  now: number,
): BusEvent {
  const payload = {
    device_id: reading.deviceId,
    cpu_temp_c: reading.cpuTempC,
    threshold_c: reading.thresholdC,
    at: iso(reading.at),
  };
  const type = raised ? "edge.device.temperature.alert.v1" : "edge.device.temperature.cleared.v1";
  return createEvent({ type, source: SOURCE, payload, now });
}
