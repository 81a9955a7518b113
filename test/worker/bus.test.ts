/**
 * The bus: the queue consumer (dispatch by subject, per-message ack/retry, dead letters), the outbox's
 * transactional and retry semantics, and the seed's bus subscriptions updating the registry exactly as the
 * HTTP calls do.
 */
import { env } from "cloudflare:workers";
import { runInDurableObject } from "cloudflare:test";
import { describe, it } from "vitest";
import type { BotzRegistry } from "../../durable-objects/botz-registry";
import { botzIdFor } from "../../workers/botz/botz-id";
import { createEvent, type BusEvent } from "../../workers/platform/bus/envelope";
import { Outbox } from "../../workers/platform/bus/outbox";
import { ADMIN, call, json, uniqueId } from "./helpers";
import { deliver } from "./support/queue";

function runBatch(queue: string, bodies: unknown[]) {
  return deliver(
    queue,
    bodies.map((body) => ({ body })),
  );
}

const registerEvent = (instanceId: string, extra: Record<string, unknown> = {}) =>
  createEvent({
    type: "botz.register.v1",
    source: "crush",
    payload: { botz_name: "pmoves-crush", instance_id: instanceId, skill_level: "mcp_augmented", ...extra },
  });

describe("bus queue consumer", () => {
  it("should register a bot from botz.register.v1 with a botz_id derived from its instance_id", async ({ expect }) => {
    const instanceId = uniqueId("bus-bot");
    const { result } = await runBatch("botplane-bus", [registerEvent(instanceId)]);
    expect(result.explicitAcks).toHaveLength(1);
    expect(result.retryMessages).toEqual([]);
    const id = await botzIdFor(instanceId);
    const res = await call(`/v1/botz/${id}`, { token: await ADMIN() });
    expect(await json(res)).toMatchObject({ botz_id: id, instance_id: instanceId, skill_level: "mcp_augmented" });
  });

  it("should apply botz.heartbeat.v1 like the HTTP heartbeat", async ({ expect }) => {
    const instanceId = uniqueId("bus-beat");
    await runBatch("botplane-bus", [registerEvent(instanceId)]);
    const id = await botzIdFor(instanceId);
    const beat = createEvent({ type: "botz.heartbeat.v1", source: "crush", payload: { botz_id: id, status: "busy" } });
    const { result } = await runBatch("botplane-bus", [beat]);
    expect(result.explicitAcks).toHaveLength(1);
    expect(await json(await call(`/v1/botz/${id}`, { token: await ADMIN() }))).toMatchObject({ status: "busy" });
  });

  it("should retry a heartbeat that overtook its registration, alone, and ack its batch-mates", async ({ expect }) => {
    const early = createEvent({
      type: "botz.heartbeat.v1",
      source: "crush",
      payload: { botz_id: await botzIdFor(uniqueId("not-yet")) },
    });
    const fine = registerEvent(uniqueId("fine"));
    const { batch, result } = await runBatch("botplane-bus", [early, fine]);
    expect(result.retryMessages.map((m) => m.msgId)).toEqual([batch.messages[0]?.id]);
    expect(result.explicitAcks).toEqual([batch.messages[1]?.id]);
  });

  it("should dead-letter an invalid payload at once, with the field named, instead of retrying it", async ({
    expect,
  }) => {
    const bad = registerEvent(uniqueId("bad"), { skill_level: "wizard" });
    const { result } = await runBatch("botplane-bus", [bad]);
    expect(result.retryMessages).toEqual([]);
    const row = await env.DB.prepare("SELECT * FROM dead_letters WHERE event_id = ?")
      .bind(bad.event_id)
      .first<{ subject: string; error: string; queue: string }>();
    expect(row).toMatchObject({ subject: "botz.register.v1", queue: "botplane-bus" });
    expect(row?.error).toContain("payload.skill_level");
  });

  it("should dead-letter a malformed envelope", async ({ expect }) => {
    const marker = uniqueId("malformed");
    await runBatch("botplane-bus", [{ hello: marker }]);
    const row = await env.DB.prepare("SELECT * FROM dead_letters WHERE body LIKE ?")
      .bind(`%${marker}%`)
      .first<{ error: string }>();
    expect(row?.error).toMatch(/invalid envelope/);
  });

  it("should store what reaches the dead-letter queue", async ({ expect }) => {
    const event = registerEvent(uniqueId("dlq"));
    const { result } = await runBatch("botplane-bus-dlq", [event]);
    expect(result.ackAll).toBe(true);
    const row = await env.DB.prepare("SELECT queue, subject FROM dead_letters WHERE event_id = ?")
      .bind(event.event_id)
      .first();
    expect(row).toEqual({ queue: "botplane-bus-dlq", subject: "botz.register.v1" });
  });

  it("should deliver botz.register.v1 sent on the real queue to the registry", async ({ expect }) => {
    const instanceId = uniqueId("via-queue");
    await env.BUS.send(registerEvent(instanceId));
    const id = await botzIdFor(instanceId);
    await expect
      .poll(async () => (await call(`/v1/botz/${id}`, { token: await ADMIN() })).status, { timeout: 5000 })
      .toBe(200);
  });
});

describe("Outbox", () => {
  function fakeSend(fail: boolean) {
    const sent: BusEvent[] = [];
    const send = (events: BusEvent[]): Promise<void> => {
      if (fail) return Promise.reject(new Error("queue unavailable"));
      sent.push(...events);
      return Promise.resolve();
    };
    return { send, sent };
  }

  it("should write nothing when the state change in its transaction rolls back", async ({ expect }) => {
    await runInDurableObject(env.BOTZ_REGISTRY.getByName("outbox-rollback"), (_: BotzRegistry, state) => {
      const outbox = new Outbox(state.storage.sql, fakeSend(false).send);
      expect(() =>
        state.storage.transactionSync(() => {
          outbox.add(createEvent({ type: "a.b", source: "t", payload: 1 }));
          throw new Error("state change failed");
        }),
      ).toThrow("state change failed");
      expect(outbox.size()).toBe(0);
    });
  });

  it("should keep events and back off while the queue fails, then send them in order", async ({ expect }) => {
    await runInDurableObject(env.BOTZ_REGISTRY.getByName("outbox-retry"), async (_: BotzRegistry, state) => {
      const down = fakeSend(true);
      const outbox = new Outbox(state.storage.sql, down.send);
      const events = Array.from({ length: 150 }, (_, i) => createEvent({ type: "a.b", source: "t", payload: i }));
      for (const e of events) outbox.add(e);
      const now = Date.now();
      const failed = await outbox.flush(now);
      expect(failed.error).toContain("queue unavailable");
      expect(outbox.size()).toBe(150);
      expect(outbox.nextDueAt()).toBe(now + 2000);
      expect((await outbox.flush(now)).sent).toBe(0);

      const up = fakeSend(false);
      const recovered = new Outbox(state.storage.sql, up.send);
      expect((await recovered.flush(now + 60_000)).sent).toBe(150);
      expect(up.sent.map((e) => e.payload)).toEqual(events.map((e) => e.payload));
      expect(recovered.size()).toBe(0);
      expect(recovered.nextDueAt()).toBeNull();
    });
  });
});
