/**
 * Publishing a batch: normalize and validate each event on its own, claim-check large payloads into R2,
 * enqueue the accepted ones in order (accepted = durably on the queue), and hand them to live subscribers
 * without waiting for the queue.
 */
import type { BusEvent } from "../platform/bus/envelope";
import { appendToBus } from "../platform/bus/publish";
import type { Env } from "../platform/env";
import { byteLength } from "../platform/bus/claim-check";
import { MAX_EVENT_BYTES } from "./event-schemas";
import { normalizeEvent, type Rejection } from "./normalize";

export type PublishResult =
  | { index: number; status: "accepted"; event_id: string; type: string }
  | { index: number; status: "rejected"; error: Rejection };

export interface PublishContext {
  traceparent: string;
  now: number;
  /** Field path of the events, e.g. `body.events` or `body`. */
  at: (index: number) => string;
}

export async function publishEvents(env: Env, raws: readonly unknown[], ctx: PublishContext): Promise<PublishResult[]> {
  const results: PublishResult[] = [];
  const accepted: { index: number; event: BusEvent }[] = [];
  raws.forEach((raw, index) => {
    const size = byteLength(JSON.stringify(raw) ?? "");
    if (size > MAX_EVENT_BYTES) {
      const reason = `event is ${size} bytes; the limit is ${MAX_EVENT_BYTES}`;
      results[index] = {
        index,
        status: "rejected",
        error: { code: "payload_too_large", message: `${ctx.at(index)}: ${reason}`, field: ctx.at(index), reason },
      };
      return;
    }
    const normalized = normalizeEvent(raw, {
      prefix: env.EVENT_BUS_TOPIC_PREFIX,
      traceparent: ctx.traceparent,
      now: ctx.now,
      at: ctx.at(index),
    });
    if (normalized.ok) accepted.push({ index, event: normalized.event });
    else results[index] = { index, status: "rejected", error: normalized.rejection };
  });

  const failed = await appendToBus(
    env,
    accepted.map((a) => a.event),
  );
  accepted.forEach(({ index, event }, i) => {
    const failure = failed.get(i);
    results[index] =
      failure === undefined
        ? { index, status: "accepted", event_id: event.event_id, type: event.type }
        : {
            index,
            status: "rejected",
            error: {
              code: "bus_unavailable",
              message: `${ctx.at(index)}: ${failure}`,
              field: ctx.at(index),
              reason: failure,
            },
          };
  });
  return results;
}
