/**
 * What the bus domain does with every event the queue delivers: store it in history (idempotent on
 * event_id, so a redelivery is stored once; live subscribers were fed by the partition when it was published).
 * Also resolves claim checks for handlers.
 */
import type { BusEvent } from "../platform/bus/envelope";
import type { ConsumerHooks } from "../platform/bus/consumer";
import type { Env } from "../platform/env";
import { byteLength, checkOut } from "../platform/bus/claim-check";
import { insertHistory, toRow } from "./history-store";

async function recordEvents(events: BusEvent[], env: Env): Promise<void> {
  const now = Date.now();
  await insertHistory(
    env,
    events.map((e) => toRow(e, e.payload_ref ? 0 : byteLength(JSON.stringify(e.payload ?? null)), now)),
  );
}

async function resolveEvent(event: BusEvent, env: Env): Promise<BusEvent> {
  const whole = await checkOut(env, event.event_id);
  if (!whole) throw new Error(`payload of ${event.event_id} is missing from R2`);
  return whole;
}

export const busConsumerHooks: Omit<ConsumerHooks, "handlers"> = { onEvents: recordEvents, resolve: resolveEvent };
