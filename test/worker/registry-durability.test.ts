/**
 * BotzRegistry across evictions, restarts and time: claims survive eviction, expired leases are requeued by
 * the alarm (driven with runDurableObjectAlarm and a moved clock), stale claimers are fenced out, silent
 * instances go stale and come back, and the outbox survives a crash before its flush.
 */
import { env } from "cloudflare:workers";
import { evictDurableObject, runDurableObjectAlarm, runInDurableObject } from "cloudflare:test";
import { beforeEach, describe, it } from "vitest";
import type { BotzRegistry } from "../../durable-objects/botz-registry";
import { ADMIN, call, createItems, json, registerBot } from "./helpers";
import { setClockLead } from "./support/clock";

const LEASE_MS = 600_000;
const stub = () => env.BOTZ_REGISTRY.getByName("default");

/**
 * The registry runs a day ahead of real time throughout this file, so every alarm it sets lies a day out in
 * real time and never fires by itself: only runDurableObjectAlarm runs it, when the test says so.
 */
const AHEAD_MS = 24 * 3600_000;

/** Moves the registry's clock to a day ahead + offset (eviction resets it, so each test sets it again). */
async function shiftClock(offsetMs: number): Promise<void> {
  await setClockLead(stub(), AHEAD_MS + offsetMs);
}

async function claim(auth: string, botz_id: string, work_item_id: string) {
  const res = await call("/v1/workitems/claim", { token: auth, body: { botz_id, work_item_id } });
  return { status: res.status, body: await json<{ fencing_token: number }>(res) };
}

async function item(auth: string, id: string) {
  return json<{ status: string; attempts: number; claimed_by: string | null; error: string | null }>(
    await call(`/v1/workitems/${id}`, { token: auth }),
  );
}

async function outboxSubjects(): Promise<string[]> {
  return runInDurableObject(stub(), (_: BotzRegistry, state) =>
    state.storage.sql
      .exec<{ event: string }>("SELECT event FROM outbox ORDER BY seq")
      .toArray()
      .map((r) => (JSON.parse(r.event) as { type: string }).type),
  );
}

describe("BotzRegistry durability", () => {
  beforeEach(async () => {
    await shiftClock(0);
  });

  it("should keep a claim across eviction and let its holder complete it", async ({ expect }) => {
    const auth = await ADMIN();
    const bot = await registerBot("basic", auth);
    const [id] = await createItems(auth, [{}]);
    const granted = await claim(auth, bot, id as string);
    expect(granted.status).toBe(200);

    await evictDurableObject(stub());
    // Eviction dropped the clock with everything else in memory: put the day's lead back before any write
    // arms a real-time alarm that could fire during a later test.
    await shiftClock(0);

    const done = await call("/v1/workitems/complete", {
      token: auth,
      body: { work_item_id: id, botz_id: bot, fencing_token: granted.body.fencing_token, status: "completed" },
    });
    expect(done.status).toBe(200);
    const [next] = await createItems(auth, [{}]);
    const after = await claim(auth, bot, next as string);
    expect(after.body.fencing_token).toBeGreaterThan(granted.body.fencing_token);
  });

  it("should requeue an expired lease from the alarm, count the attempt, and fence out the old claimer", async ({
    expect,
  }) => {
    const auth = await ADMIN();
    const [slow, fast] = [await registerBot("basic", auth), await registerBot("basic", auth)];
    const [id] = (await createItems(auth, [{}])) as [string];
    const first = await claim(auth, slow, id);

    await shiftClock(LEASE_MS + 1_000);
    expect(await runDurableObjectAlarm(stub())).toBe(true);
    expect(await item(auth, id)).toMatchObject({ status: "pending", attempts: 1, claimed_by: null });

    const second = await claim(auth, fast, id);
    expect(second.status).toBe(200);
    const stale = await call("/v1/workitems/complete", {
      token: auth,
      body: { work_item_id: id, botz_id: slow, fencing_token: first.body.fencing_token, status: "completed" },
    });
    expect(stale.status).toBe(409);
    expect((await json<{ error: { code: string } }>(stale)).error.code).toBe("stale_claim");
    await shiftClock(0);
  });

  it("should fail an item once its lease has expired BOTZ_MAX_CLAIM_ATTEMPTS times", async ({ expect }) => {
    const auth = await ADMIN();
    const bot = await registerBot("basic", auth);
    const [id] = (await createItems(auth, [{}])) as [string];
    for (let attempt = 1; attempt <= 3; attempt++) {
      await shiftClock((attempt - 1) * (LEASE_MS + 1_000));
      expect((await claim(auth, bot, id)).status).toBe(200);
      await shiftClock(attempt * (LEASE_MS + 1_000));
      await runDurableObjectAlarm(stub());
    }
    const failed = await item(auth, id);
    expect(failed.status).toBe("failed");
    expect(failed.attempts).toBe(3);
    expect(failed.error).toMatch(/lease expired on attempt 3 of 3/);
    await shiftClock(0);
  });

  it("should extend the claimer's leases on each heartbeat", async ({ expect }) => {
    const auth = await ADMIN();
    const bot = await registerBot("basic", auth);
    const [id] = (await createItems(auth, [{}])) as [string];
    await claim(auth, bot, id);
    await shiftClock(LEASE_MS - 60_000);
    const beat = await json<{ leases_extended: number }>(
      await call("/v1/botz/heartbeat", { token: auth, body: { botz_id: bot } }),
    );
    expect(beat.leases_extended).toBe(1);
    await shiftClock(LEASE_MS + 60_000);
    await runDurableObjectAlarm(stub());
    expect((await item(auth, id)).status).toBe("claimed");
    await shiftClock(0);
  });

  it("should mark silent instances stale from the alarm and revive them on heartbeat", async ({ expect }) => {
    const auth = await ADMIN();
    const bot = await registerBot("agentic", auth);
    await shiftClock(5 * 60_000 + 1_000);
    await runDurableObjectAlarm(stub());
    const stale = await json<{ instances: { botz_id: string }[] }>(
      await call("/v1/botz/instances?status=stale&limit=500", { token: auth }),
    );
    expect(stale.instances.map((i) => i.botz_id)).toContain(bot);
    const stats = await json<{ instances: { by_status: Record<string, number> } }>(
      await call("/v1/stats", { token: auth }),
    );
    expect(stats.instances.by_status.stale).toBeGreaterThan(0);
    const beat = await json<{ status: string }>(
      await call("/v1/botz/heartbeat", { token: auth, body: { botz_id: bot } }),
    );
    expect(beat.status).toBe("active");
    await shiftClock(0);
  });

  it("should keep an announced claim in the outbox across a crash and flush it from the alarm", async ({ expect }) => {
    const auth = await ADMIN();
    const bot = await registerBot("basic", auth);
    const [id] = (await createItems(auth, [{}])) as [string];
    await runDurableObjectAlarm(stub());
    expect(await outboxSubjects()).toEqual([]);

    // Eviction below drops the clock and every in-memory thing; only storage remains.
    const traceparent = "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01";
    await call("/v1/workitems/claim", {
      token: auth,
      body: { botz_id: bot, work_item_id: id },
      headers: { traceparent },
    });
    await evictDurableObject(stub());
    await shiftClock(0);
    expect(await runInDurableObject(stub(), (_: BotzRegistry, state) => state.storage.getAlarm())).not.toBeNull();
    const pending = await runInDurableObject(stub(), (_: BotzRegistry, state) =>
      state.storage.sql
        .exec<{ event: string }>("SELECT event FROM outbox")
        .toArray()
        .map(
          (r) =>
            JSON.parse(r.event) as {
              type: string;
              payload: { work_item_id: string };
              metadata: { traceparent: string };
            },
        ),
    );
    expect(pending.map((e) => e.type)).toEqual(["botz.workitem.claimed.v1"]);
    expect(pending[0]?.payload.work_item_id).toBe(id);
    expect(pending[0]?.metadata.traceparent.startsWith("00-0af7651916cd43dd8448eb211c80319c-")).toBe(true);

    expect(await runDurableObjectAlarm(stub())).toBe(true);
    expect(await outboxSubjects()).toEqual([]);
  });
});
