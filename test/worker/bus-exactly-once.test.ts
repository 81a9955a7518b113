/**
 * The consumer's exactly-once guarantee for handler effects, each fault injected on its own: two copies of one
 * event in the same batch, a copy in a later batch, and a crash between the effect and the ledger mark. The
 * handler's effect is a D1 counter written through `ctx.once` (effect and ledger row in one batch).
 */
import { env } from "cloudflare:workers";
import { deliver } from "./support/queue";
import { beforeAll, describe, it } from "vitest";
import { createQueueHandler, type BusHandler } from "../../workers/platform/bus/consumer";
import { createEvent, type BusEvent } from "../../workers/platform/bus/envelope";

const SUBJECT = "once.effect.v1";
/** Crash injection: event_ids whose handler throws right after its effect committed, once. */
const crashAfterEffect = new Set<string>();

function counter(name: string, write: "once" | "plain"): BusHandler {
  return {
    name,
    async run(event, e, _log, ctx) {
      const bump = e.DB.prepare(
        "INSERT INTO once_effects (event_id, handler, applied) VALUES (?, ?, 1) ON CONFLICT(event_id, handler) DO UPDATE SET applied = applied + 1",
      ).bind(event.event_id, name);
      if (write === "once") await ctx.once([bump]);
      else await bump.run();
      if (crashAfterEffect.delete(event.event_id)) throw new Error("crashed between the effect and the mark");
    },
  };
}

const consumer = createQueueHandler({
  handlers: { [SUBJECT]: [counter("once.atomic", "once"), counter("once.plain", "plain")] },
});

async function deliverOnce(bodies: BusEvent[], attempts = 1) {
  const { outcomes } = await deliver(
    "botplane-bus",
    bodies.map((body) => ({ body, attempts })),
    consumer,
  );
  return {
    acked: outcomes.filter((o) => o === "acked").length,
    retried: outcomes.filter((o) => o === "retried").length,
  };
}

async function applied(eventId: string, handler: string): Promise<number> {
  const row = await env.DB.prepare("SELECT applied FROM once_effects WHERE event_id = ? AND handler = ?")
    .bind(eventId, handler)
    .first<{ applied: number }>();
  return row?.applied ?? 0;
}

beforeAll(async () => {
  await env.DB.exec(
    "CREATE TABLE IF NOT EXISTS once_effects (event_id TEXT NOT NULL, handler TEXT NOT NULL, applied INTEGER NOT NULL, PRIMARY KEY (event_id, handler))",
  );
});

describe("bus consumer exactly-once effects", () => {
  it("should run each handler once for two copies of one event in the same batch, acking both", async ({ expect }) => {
    const event = createEvent({ type: SUBJECT, source: "t", payload: {} });
    const other = createEvent({ type: SUBJECT, source: "t", payload: {} });
    expect(await deliverOnce([event, other, event])).toEqual({ acked: 3, retried: 0 });
    expect(await applied(event.event_id, "once.atomic")).toBe(1);
    // The plain write has no key of its own: only the batch's de-duplication keeps it at one.
    expect(await applied(event.event_id, "once.plain")).toBe(1);
    expect(await applied(other.event_id, "once.plain")).toBe(1);
  });

  it("should not apply an effect again for a copy in a later batch", async ({ expect }) => {
    const event = createEvent({ type: SUBJECT, source: "t", payload: {} });
    await deliverOnce([event]);
    expect(await deliverOnce([event], 2)).toEqual({ acked: 1, retried: 0 });
    expect(await applied(event.event_id, "once.atomic")).toBe(1);
    expect(await applied(event.event_id, "once.plain")).toBe(1);
  });

  it("should apply an effect once when the handler crashes after the effect committed and the event comes back", async ({
    expect,
  }) => {
    const event = createEvent({ type: SUBJECT, source: "t", payload: {} });
    crashAfterEffect.add(event.event_id);
    try {
      expect(await deliverOnce([event])).toEqual({ acked: 0, retried: 1 });
      expect(await applied(event.event_id, "once.atomic")).toBe(1);
      // The redelivery finds the ledger row the effect committed with, so it neither re-applies nor fails.
      expect(await deliverOnce([event], 2)).toEqual({ acked: 1, retried: 0 });
      expect(await applied(event.event_id, "once.atomic")).toBe(1);
    } finally {
      crashAfterEffect.delete(event.event_id);
    }
  });

  it("should leave no ledger row when the effect's batch fails, so the retry applies it", async ({ expect }) => {
    const event = createEvent({ type: SUBJECT, source: "t", payload: {} });
    const failing = createQueueHandler({
      handlers: {
        [SUBJECT]: [
          {
            name: "once.broken",
            async run(e: BusEvent, en, _log, ctx) {
              await ctx.once([en.DB.prepare("INSERT INTO no_such_table VALUES (?)").bind(e.event_id)]);
            },
          },
        ],
      },
    });
    const { outcomes } = await deliver("botplane-bus", [{ body: event }], failing);
    expect(outcomes).toEqual(["retried"]);
    const mark = await env.DB.prepare("SELECT COUNT(*) AS n FROM handler_ledger WHERE event_id = ?")
      .bind(event.event_id)
      .first<{ n: number }>();
    expect(mark?.n).toBe(0);
  });
});
