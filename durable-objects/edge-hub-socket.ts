/**
 * The device side of an EdgeHub: what each hibernatable device socket carries in its attachment, how the
 * hub decides that a device is online, and the frames it writes to it. Attachments survive hibernation, so
 * liveness never depends on the object's memory.
 */
import { z } from "zod";
import type { JobRow } from "./edge-hub-store";
import type { CancelMessage, HubMessage } from "./protocol";

export const DEVICE_TAG = "device";
/** Sent to a device socket a newer connection replaced; 4xxx tells the agent not to reconnect on it. */
export const SUPERSEDED_CLOSE = 4409;
const WS_OPEN = 1;

const attachmentSchema = z.object({ device_id: z.string(), connected_at: z.number(), last_seen: z.number() });
export type DeviceAttachment = z.infer<typeof attachmentSchema>;

/**
 * Attachments already read in this object's life: every device message needs its socket's, and reading one
 * back through deserialize and zod costs more than handling a chunk. A hibernated object starts empty.
 */
const known = new WeakMap<WebSocket, DeviceAttachment>();

export function attachmentOf(ws: WebSocket): DeviceAttachment | null {
  const cached = known.get(ws);
  if (cached) return cached;
  const parsed = attachmentSchema.safeParse(ws.deserializeAttachment());
  if (!parsed.success) return null;
  known.set(ws, parsed.data);
  return parsed.data;
}

/** The one way an attachment is written, so the cache above never disagrees with the socket. */
export function attach(ws: WebSocket, attachment: DeviceAttachment): void {
  ws.serializeAttachment(attachment);
  known.set(ws, attachment);
}

/** Touches are this coarse: presence is judged over tens of seconds, and a job's chunks arrive ms apart. */
const TOUCH_GRANULARITY_MS = 1000;

/** Notes a sign of life on the socket; answers its attachment (null for a socket without one). */
export function touch(ws: WebSocket, now: number): DeviceAttachment | null {
  const current = attachmentOf(ws);
  if (!current || now - current.last_seen < TOUCH_GRANULARITY_MS) return current;
  const touched = { ...current, last_seen: now };
  attach(ws, touched);
  return touched;
}

/** Last sign of life: a message the hub handled, or a ping the runtime answered while the hub slept. */
export function lastSeen(ctx: DurableObjectState, ws: WebSocket): number {
  const pinged = ctx.getWebSocketAutoResponseTimestamp(ws)?.getTime() ?? 0;
  return Math.max(attachmentOf(ws)?.last_seen ?? 0, pinged);
}

/**
 * The device's freshest open socket heard from within `windowMs` (EDGE_OFFLINE_AFTER: by default three missed
 * 30 s heartbeats, past which a silent socket is presumed half-open), or null: the device is offline.
 * `except` leaves out a socket that is closing now.
 */
export function liveSocket(
  ctx: DurableObjectState,
  now: number,
  windowMs: number,
  except?: WebSocket,
): WebSocket | null {
  let best: { ws: WebSocket; seen: number } | null = null;
  for (const ws of ctx.getWebSockets(DEVICE_TAG)) {
    if (ws.readyState !== WS_OPEN || ws === except) continue;
    const seen = lastSeen(ctx, ws);
    if (now - seen > windowMs) continue;
    if (!best || seen > best.seen) best = { ws, seen };
  }
  return best?.ws ?? null;
}

/** Writes one frame; false when the socket is already closing (a job then waits for the reconnect). */
export function send(ws: WebSocket, frame: string): boolean {
  try {
    ws.send(frame);
    return true;
  } catch {
    return false;
  }
}

export function jobFrame(job: JobRow, now: number): string {
  const head = {
    type: "job",
    job_id: job.job_id,
    seq: job.seq,
    kind: job.kind,
    timeout_ms: Math.max(0, job.deadline_at - now),
  };
  // The request is stored as JSON already: spliced in rather than parsed and serialised again.
  return `${JSON.stringify(head).slice(0, -1)},"request":${job.request}}`;
}

export function cancelFrame(jobId: string, reason: string): string {
  return JSON.stringify({ type: "cancel", job_id: jobId, reason } satisfies CancelMessage);
}

export function errorFrame(code: string, message: string, details?: unknown): string {
  const frame: HubMessage = {
    type: "error",
    error: details === undefined ? { code, message } : { code, message, details },
  };
  return JSON.stringify(frame);
}

/** Closes a socket, tolerating one the runtime already closed. */
export function closeQuietly(ws: WebSocket, code: number, reason: string): void {
  try {
    ws.close(code, reason);
  } catch {
    // Already closed.
  }
}
