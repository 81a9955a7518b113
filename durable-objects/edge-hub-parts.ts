/**
 * How an EdgeHub's parts are wired: the poll channel, the job and command sides, presence, the device record
 * (telemetry, alert, directory row), the event outbox, and the one DueWork alarm over all their timed work.
 */
import { Outbox } from "../workers/platform/bus/outbox";
import { publish } from "../workers/platform/bus/publish";
import { readConfig } from "../workers/platform/config";
import { DueWork } from "../workers/platform/durable/due-work";
import type { Env } from "../workers/platform/env";
import { CommandDesk } from "./edge-hub-command-desk";
import { DeviceRecord } from "./edge-hub-device";
import { JobDesk } from "./edge-hub-jobs";
import { PollChannel } from "./edge-hub-poll";
import { Presence } from "./edge-hub-presence";
import { liveSocket as live } from "./edge-hub-socket";

export type HubParts = ReturnType<typeof hubParts>;

export function hubParts(ctx: DurableObjectState, env: Env, clock: () => number) {
  const settings = readConfig(env).edge;
  const sql = ctx.storage.sql;
  const polls = new PollChannel();
  const liveSocket = (now: number) => live(ctx, now, settings.offlineAfterMs);
  // The alarm is built last, from the parts; they reach it (and each other) through closures called later.
  const dueBy = (at: number): void => due.dueBy(at);
  const armBy = (at: number): Promise<void> => due.armBy(at);
  const arm = (): Promise<void> => due.arm();
  const pollOnline = (now: number): boolean => presence.polling(now);
  const jobs = new JobDesk({ ctx, clock, polls, liveSocket, pollOnline, armBy });
  const commands = new CommandDesk({ sql, clock, polls, liveSocket, dueBy, arm });
  const outbox = new Outbox(sql, (events) => publish(env, events));
  const lastPolled = (): number | null => commands.store.lastPolled();
  const changed = (): void => device.changed();
  const windowMs = settings.offlineAfterMs;
  const presence = new Presence({ ctx, windowMs, polls, lastPolled, outbox, dueBy, changed });
  const device = new DeviceRecord({ ctx, env, settings, clock, jobs: jobs.store, commands, presence, outbox });

  const deviceId = (): string | null => jobs.store.device()?.device_id ?? null;
  const due = new DueWork(ctx, {
    clock,
    work: {
      // Jobs past their budget are cancelled; finished ones are dropped once no late reader needs them.
      deadlines: { nextDueAt: (): number | null => jobs.nextDue(), run: (now: number) => jobs.expire(now) },
      // Commands past their expiry are marked `expired` (never dropped), and anyone waiting is answered.
      commands: {
        nextDueAt: (): number | null => commands.store.nextExpiry(),
        run: (now: number) => commands.expire(now),
      },
      // Before the outbox, so an offline event found here is sent in the same tick.
      silence: {
        nextDueAt: (now: number): number | null => presence.silenceDueAt(now),
        run: async (now: number) => {
          presence.checkSilence(deviceId(), now);
          await device.sync();
        },
      },
      outbox,
    },
  });
  return { polls, jobs, commands, presence, device, due };
}
