/**
 * Whether an EdgeHub's device is online — a socket heard from within EDGE_OFFLINE_AFTER, or a poll waiting
 * or answered within POLL_GAP_MS — and the announced state in SQLite, so each transition is published exactly
 * once across hibernation and eviction: online on a connect, message or poll after being offline; offline
 * when the socket closes or, by the alarm, when the device has gone silent (no close frame needed).
 *
 * A polling device keeps a long poll out at all times and re-polls as soon as one is answered, so a gap of a
 * few seconds with no poll means it is gone: a dead device is seen offline at most its poll wait plus the gap
 * after it died (the hub cannot see a poll's client vanish while it holds the poll), not a whole
 * EDGE_OFFLINE_AFTER later, so the model gateway stops sending it local-tier jobs soon.
 */
import type { Outbox } from "../workers/platform/bus/outbox";
import { offlineEvent, onlineEvent, type OfflineReason, type Transport } from "./edge-hub-events";
import type { PollChannel } from "./edge-hub-poll";
import { DEVICE_TAG, lastSeen, liveSocket } from "./edge-hub-socket";

/** How long after its last poll ended a polling device with no poll waiting is still online. */
export const POLL_GAP_MS = 10_000;

const SCHEMA = `CREATE TABLE IF NOT EXISTS presence (
  id INTEGER PRIMARY KEY CHECK (id = 1), online INTEGER NOT NULL, first_seen INTEGER NOT NULL, changed_at INTEGER NOT NULL)`;

export interface PresenceDeps {
  ctx: DurableObjectState;
  windowMs: number;
  polls: PollChannel;
  lastPolled: () => number | null;
  outbox: Outbox;
  /** Synchronous: asks the alarm for `at` (the silence check). */
  dueBy: (at: number) => void;
  /** The announced state changed (the directory row is behind). */
  changed: () => void;
}

export class Presence {
  private readonly sql: SqlStorage;
  /** The announced state, cached: every device message asks for it. */
  private announcedState: boolean | undefined;

  constructor(private readonly deps: PresenceDeps) {
    this.sql = deps.ctx.storage.sql;
    this.sql.exec(SCHEMA);
  }

  /** Online now: a live socket (other than `except`, closing) or a poll within the window. */
  isOnline(now: number, except?: WebSocket): boolean {
    return liveSocket(this.deps.ctx, now, this.deps.windowMs, except) !== null || this.polling(now);
  }

  polling(now: number): boolean {
    const polled = this.deps.lastPolled();
    return this.deps.polls.waiters.size > 0 || (polled !== null && now - polled <= POLL_GAP_MS);
  }

  /** A poll was answered: the silence check is due once the gap after it has passed with no new poll. */
  pollEnded(now: number): void {
    if (this.announced()) this.deps.dueBy(now + POLL_GAP_MS + 1);
  }

  /** The last sign of life on any channel: a socket message or ping, or a poll. */
  lastSeen(): number | null {
    const seen = this.deps.ctx.getWebSockets(DEVICE_TAG).map((ws) => lastSeen(this.deps.ctx, ws));
    const polled = this.deps.lastPolled();
    if (polled !== null) seen.push(polled);
    return seen.length > 0 ? Math.max(...seen) : null;
  }

  /** As last announced; false before the device was ever seen. Read once per object life, then kept by mark(). */
  announced(): boolean {
    this.announcedState ??=
      this.sql.exec<{ online: number }>("SELECT online FROM presence WHERE id = 1").toArray()[0]?.online === 1;
    return this.announcedState;
  }

  firstSeen(): number | null {
    return (
      this.sql.exec<{ first_seen: number }>("SELECT first_seen FROM presence WHERE id = 1").toArray()[0]?.first_seen ??
      null
    );
  }

  /** The device was just heard from: announces it online if it was not. */
  heard(deviceId: string, transport: Transport, now: number): void {
    if (this.announced()) return;
    this.deps.ctx.storage.transactionSync(() => {
      if (!this.mark(true, now)) return;
      this.deps.outbox.add(onlineEvent(deviceId, transport, now));
      this.deps.dueBy(now + this.deps.windowMs + 1);
      this.deps.changed();
    });
  }

  /** A socket closed: offline unless another channel is still live. */
  socketGone(deviceId: string | null, ws: WebSocket, now: number): void {
    if (deviceId !== null && this.announced() && !this.isOnline(now, ws)) this.gone(deviceId, "closed", now);
  }

  /**
   * The alarm's check: when silence would make an online device offline — the latest of each channel's end
   * (a socket's last sign of life plus the window; the last poll plus the gap). None while a poll is waiting:
   * its end asks again (pollEnded).
   */
  silenceDueAt(now: number): number | null {
    if (!this.announced()) return null;
    const ends = this.deps.ctx
      .getWebSockets(DEVICE_TAG)
      .map((ws) => lastSeen(this.deps.ctx, ws) + this.deps.windowMs + 1);
    const polled = this.deps.lastPolled();
    if (this.deps.polls.waiters.size > 0) {
      if (ends.length === 0) return null;
    } else if (polled !== null) ends.push(polled + POLL_GAP_MS + 1);
    return ends.length === 0 ? now : Math.max(...ends);
  }

  checkSilence(deviceId: string | null, now: number): void {
    if (deviceId !== null && this.announced() && !this.isOnline(now)) this.gone(deviceId, "silent", now);
  }

  private gone(deviceId: string, reason: OfflineReason, now: number): void {
    this.deps.ctx.storage.transactionSync(() => {
      if (!this.mark(false, now)) return;
      this.deps.outbox.add(offlineEvent(deviceId, reason, this.lastSeen(), now));
      this.deps.changed();
    });
  }

  /** Records the state; true when it changed. */
  private mark(online: boolean, now: number): boolean {
    // Forget the cached state rather than set it: mark() runs inside transactionSync, which may still roll back.
    this.announcedState = undefined;
    return (
      this.sql
        .exec(
          `INSERT INTO presence (id, online, first_seen, changed_at) VALUES (1, ?, ?, ?)
           ON CONFLICT (id) DO UPDATE SET online = excluded.online, changed_at = excluded.changed_at
           WHERE presence.online <> excluded.online RETURNING 1`,
          Number(online),
          now,
          now,
        )
        .toArray().length > 0
    );
  }
}
