/**
 * Publishing a batch: normalize and validate each event on its own (shape, limits, reserved subjects), then
 * hand the accepted ones to the bus in order (accepted = durably logged by their partition, which feeds live
 * subscribers and the queue); a result per event.
 */
import type { BusEvent } from "../platform/bus/envelope";
import { appendToBus } from "../platform/bus/publish";
import { missingPublishScope } from "../platform/bus/reserved-subjects";
import type { Env } from "../platform/env";
import { depthBreach, eventSizeBreach } from "./event-limits";
import { normalizeEvent, type Rejection } from "./normalize";

export type PublishResult =
  | { index: number; status: "accepted"; event_id: string; type: string }
  | { index: number; status: "rejected"; error: Rejection };

export interface PublishContext {
  traceparent: string;
  now: number;
  /** The publisher's scopes: reserved subjects need more than `events:publish` (platform/bus/reserved-subjects). */
  scopes: readonly string[];
  /** Field path of the events, e.g. `body.events` or `body`. */
  at: (index: number) => string;
}

export async function publishEvents(env: Env, raws: readonly unknown[], ctx: PublishContext): Promise<PublishResult[]> {
  const results: PublishResult[] = [];
  const accepted: { index: number; event: BusEvent }[] = [];
  raws.forEach((raw, index) => {
    // Depth first: serializing the event to measure it would recurse through whatever nesting it has.
    const tooDeep = depthBreach(raw);
    const tooLarge = tooDeep ? null : eventSizeBreach(raw);
    const breach = tooDeep ?? tooLarge;
    if (breach) {
      const field = [ctx.at(index), ...breach.path.map(String)].join(".");
      const code = tooDeep ? "invalid_event" : "payload_too_large";
      results[index] = {
        index,
        status: "rejected",
        error: { code, message: `${field}: ${breach.reason}`, field, reason: breach.reason },
      };
      return;
    }
    const normalized = normalizeEvent(raw, {
      prefix: env.EVENT_BUS_TOPIC_PREFIX,
      traceparent: ctx.traceparent,
      now: ctx.now,
      at: ctx.at(index),
    });
    if (!normalized.ok) {
      results[index] = { index, status: "rejected", error: normalized.rejection };
      return;
    }
    const required = missingPublishScope(ctx.scopes, normalized.event.type);
    if (required) {
      const field = `${ctx.at(index)}.type`;
      const reason = `'${normalized.event.type}' is a reserved subject; publishing it needs scope '${required}'`;
      results[index] = {
        index,
        status: "rejected",
        error: { code: "forbidden", message: `${field}: ${reason}`, field, reason, required },
      };
      return;
    }
    accepted.push({ index, event: normalized.event });
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
