/**
 * The fault test: a handler failing 30% of the time at random over 1,200 events, delivered with the queue's
 * semantics (at-least-once, retries up to max_retries, then the dead-letter queue, plus stray duplicate
 * deliveries). Every accepted event must be in history exactly once, and each handler effect applied exactly
 * once — or the event has a dead-letter row; none missing, none duplicated. The test config gives this
 * handler's breaker a threshold the chaos cannot reach: random failures are not an outage.
 */
import { env } from "cloudflare:workers";
import { describe, it } from "vitest";
import { busConsumerHooks } from "../../workers/bus/consumer-hooks";
import { createQueueHandler } from "../../workers/platform/bus/consumer";
import { createEvent, type BusEvent } from "../../workers/platform/bus/envelope";
import { deliver } from "./support/queue";

const EVENTS = 1200;
const MAX_RETRIES = 5; // wrangler.toml's max_retries for the bus queue
const FAILURE_RATE = 0.3;
const DUPLICATE_RATE = 0.1;

/** mulberry32: the chaos is random but the same on every run. */
function seeded(seed: number): () => number {
  let a = seed;
  return () => {
    a = (a + 0x6d2b79f5) | 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
const random = seeded(20261130);

const flaky = createQueueHandler({
  ...busConsumerHooks,
  handlers: {
    "fault.effect.v1": [
      {
        name: "fault.counter",
        async run(event, e, _log, ctx) {
          if (random() < FAILURE_RATE) throw new Error("injected failure");
          // The effect and its ledger row commit together: a crash after it cannot lead to a second one.
          const fresh = await ctx.once([
            e.DB.prepare(
              "INSERT INTO fault_effects (event_id, applied) VALUES (?, 1) ON CONFLICT(event_id) DO UPDATE SET applied = applied + 1",
            ).bind(event.event_id),
          ]);
          // Now and then the handler then "crashes" anyway: the redelivery must not apply it again.
          if (fresh && random() < FAILURE_RATE / 2) throw new Error("injected crash after the effect");
        },
      },
    ],
  },
});

interface Delivery {
  body: BusEvent;
  attempts: number;
}

async function deliverAll(queue: string, deliveries: Delivery[]) {
  const { outcomes } = await deliver(queue, deliveries, flaky);
  return deliveries.map((delivery, i) => ({ delivery, retried: outcomes[i] === "retried" }));
}

describe("bus consumer under a 30% failing handler", () => {
  it(
    "should store every event once and apply each effect exactly once or dead-letter it",
    { timeout: 180_000 },
    async ({ expect }) => {
      await env.DB.exec(
        "CREATE TABLE IF NOT EXISTS fault_effects (event_id TEXT PRIMARY KEY, applied INTEGER NOT NULL)",
      );
      const events = Array.from({ length: EVENTS }, (_, i) =>
        createEvent({ type: "fault.effect.v1", source: "chaos", payload: { i } }),
      );
      let queue: Delivery[] = events.map((body) => ({ body, attempts: 1 }));
      const toDlq: Delivery[] = [];
      let rounds = 0;
      while (queue.length > 0 && rounds++ < 200) {
        const next: Delivery[] = [];
        for (let i = 0; i < queue.length; i += 100) {
          for (const { delivery, retried } of await deliverAll("botplane-bus", queue.slice(i, i + 100))) {
            if (retried) {
              if (delivery.attempts > MAX_RETRIES) toDlq.push(delivery);
              else next.push({ body: delivery.body, attempts: delivery.attempts + 1 });
            } else if (random() < DUPLICATE_RATE) {
              next.push({ body: delivery.body, attempts: delivery.attempts + 1 });
            }
          }
        }
        queue = next;
      }
      for (let i = 0; i < toDlq.length; i += 100) await deliverAll("botplane-bus-dlq", toDlq.slice(i, i + 100));

      const ids = events.map((e) => e.event_id);
      const history = await env.DB.prepare(
        "SELECT COUNT(*) AS n, COUNT(DISTINCT event_id) AS d FROM events WHERE subject = 'fault.effect.v1'",
      ).first<{ n: number; d: number }>();
      expect(history).toEqual({ n: EVENTS, d: EVENTS });
      const effects = new Map(
        (
          await env.DB.prepare("SELECT event_id, applied FROM fault_effects").all<{
            event_id: string;
            applied: number;
          }>()
        ).results.map((r) => [r.event_id, r.applied]),
      );
      const dead = new Set(
        (
          await env.DB.prepare("SELECT event_id FROM dead_letters WHERE subject = 'fault.effect.v1'").all<{
            event_id: string;
          }>()
        ).results.map((r) => r.event_id),
      );
      const missing = ids.filter((id) => !effects.has(id) && !dead.has(id));
      const duplicated = ids.filter((id) => (effects.get(id) ?? 0) > 1);
      const both = ids.filter((id) => effects.has(id) && dead.has(id));
      expect({ missing, duplicated, both }).toEqual({ missing: [], duplicated: [], both: [] });
      expect(effects.size + dead.size).toBe(EVENTS);
    },
  );
});
