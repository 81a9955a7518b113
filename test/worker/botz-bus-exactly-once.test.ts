/**
 * The BoTZ bus handlers apply each event exactly once: the registry records `${event_id}:${handler}` in the
 * transaction that changes it, so a redelivery applies nothing even when the consumer's ledger mark (a
 * separate D1 write) was lost. The registry's clock runs a day ahead here so its outbox is never flushed by
 * a real alarm mid-test and the announcements can be counted where they are written.
 */
import { env } from "cloudflare:workers";
import { runInDurableObject } from "cloudflare:test";
import { afterEach, beforeEach, describe, it } from "vitest";
import type { BotzRegistry } from "../../durable-objects/botz-registry";
import { botzIdFor } from "../../workers/botz/botz-id";
import { botzBusHandlers } from "../../workers/botz/bus-handlers";
import { handlerContext } from "../../workers/platform/bus/handlers";
import { createEvent, type BusEvent } from "../../workers/platform/bus/envelope";
import { createLogger } from "../../workers/platform/logger";
import { ADMIN, call, json, uniqueId } from "./helpers";
import { deliverToBus } from "./support/queue";
import { setClockLead } from "./support/clock";

const DAY = 24 * 3600_000;
const stub = () => env.BOTZ_REGISTRY.getByName("default");
const log = createLogger("test", "ERROR");

async function setClock(offsetMs: number): Promise<void> {
  await setClockLead(stub(), offsetMs);
}

function handler(subject: "botz.register.v1" | "botz.heartbeat.v1") {
  const h = botzBusHandlers[subject]?.[0];
  if (!h) throw new Error(`no handler for ${subject}`);
  return h;
}

const registerEvent = (instanceId: string) =>
  createEvent({
    type: "botz.register.v1",
    source: "crush",
    payload: { botz_name: "pmoves-crush", instance_id: instanceId, skill_level: "basic" },
  });

/** The botz.registered.v1 announcements waiting in the registry's outbox for this instance. */
async function registeredAnnouncements(instanceId: string): Promise<unknown[]> {
  return runInDurableObject(stub(), (_: BotzRegistry, state) =>
    state.storage.sql
      .exec<{ event: string }>("SELECT event FROM outbox ORDER BY seq")
      .toArray()
      .map((r) => JSON.parse(r.event) as BusEvent)
      .filter(
        (e) => e.type === "botz.registered.v1" && (e.payload as { instance_id?: string }).instance_id === instanceId,
      )
      .map((e) => e.payload),
  );
}

async function deliver(event: BusEvent) {
  return (await deliverToBus([event])).result;
}

/** Runs the subject's handler as the consumer would, with the idempotency key of the event and handler. */
function run(subject: "botz.register.v1" | "botz.heartbeat.v1", event: BusEvent) {
  const h = handler(subject);
  return h.run(event, env, log, handlerContext(env, event.event_id, h.name));
}

describe("botz bus handlers exactly once", () => {
  beforeEach(async () => {
    await setClock(DAY);
  });
  afterEach(async () => {
    await setClock(0);
  });

  it("should announce botz.registered.v1 once when the same event is handled twice", async ({ expect }) => {
    const instanceId = uniqueId("once");
    const event = registerEvent(instanceId);
    await run("botz.register.v1", event);
    // A redelivery the consumer did not recognise: the registry applied it, but the ledger mark never landed.
    await run("botz.register.v1", event);
    expect(await registeredAnnouncements(instanceId)).toEqual([
      {
        botz_id: await botzIdFor(instanceId),
        instance_id: instanceId,
        botz_name: "pmoves-crush",
        skill_level: "basic",
        created: true,
      },
    ]);
  });

  it("should apply nothing for a redelivery across batches whose ledger mark was lost", async ({ expect }) => {
    const instanceId = uniqueId("lost-mark");
    const event = registerEvent(instanceId);
    expect((await deliver(event)).explicitAcks).toHaveLength(1);
    // The crash between effect and mark: the registry changed, the consumer's ledger never recorded it.
    await env.DB.prepare("DELETE FROM handler_ledger WHERE event_id = ?").bind(event.event_id).run();
    expect((await deliver(event)).explicitAcks).toHaveLength(1);
    expect(await registeredAnnouncements(instanceId)).toHaveLength(1);
  });

  it("should still apply a new event for the same instance", async ({ expect }) => {
    const instanceId = uniqueId("again");
    await run("botz.register.v1", registerEvent(instanceId));
    await run("botz.register.v1", registerEvent(instanceId));
    const announced = (await registeredAnnouncements(instanceId)) as { created: boolean }[];
    expect(announced.map((p) => p.created)).toEqual([true, false]);
  });

  it("should not apply a repeated heartbeat, and answer with the current state", async ({ expect }) => {
    const instanceId = uniqueId("beat-once");
    await run("botz.register.v1", registerEvent(instanceId));
    const botzId = await botzIdFor(instanceId);
    const beat = createEvent({
      type: "botz.heartbeat.v1",
      source: "crush",
      payload: { botz_id: botzId, status: "busy" },
    });
    await run("botz.heartbeat.v1", beat);
    const auth = await ADMIN();
    const first = await json<{ status: string; last_heartbeat_at: string }>(
      await call(`/v1/botz/${botzId}`, { token: auth }),
    );
    expect(first.status).toBe("busy");

    // Move the clock and change the status by HTTP: a re-applied heartbeat would undo both.
    await setClock(DAY + 60_000);
    const idle = await call("/v1/botz/heartbeat", { token: auth, body: { botz_id: botzId, status: "idle" } });
    expect(idle.status).toBe(200);
    const before = await json<{ status: string; last_heartbeat_at: string }>(
      await call(`/v1/botz/${botzId}`, { token: auth }),
    );
    await setClock(DAY + 120_000);
    await run("botz.heartbeat.v1", beat);
    const after = await json<{ status: string; last_heartbeat_at: string }>(
      await call(`/v1/botz/${botzId}`, { token: auth }),
    );
    expect(after).toEqual(before);
    expect(after.status).toBe("idle");
  });
});
