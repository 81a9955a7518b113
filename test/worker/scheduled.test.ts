/**
 * The cron tick: it runs the registry's periodic work even when no alarm fires.
 */
import { env } from "cloudflare:workers";
import {
  createExecutionContext,
  createScheduledController,
  runInDurableObject,
  waitOnExecutionContext,
} from "cloudflare:test";
import { describe, it } from "vitest";
import type { BotzRegistry } from "../../durable-objects/botz-registry";
import worker from "../../workers/index";
import { ADMIN, call, createItems, json, registerBot } from "./helpers";

describe("scheduled", () => {
  it("should requeue expired leases and mark stale instances on the minute tick", async ({ expect }) => {
    const auth = await ADMIN();
    const bot = await registerBot("basic", auth);
    const [id] = await createItems(auth, [{}]);
    expect((await call("/v1/workitems/claim", { token: auth, body: { botz_id: bot, work_item_id: id } })).status).toBe(
      200,
    );

    const registry = env.BOTZ_REGISTRY.getByName("default");
    await runInDurableObject(registry, async (instance: BotzRegistry, state) => {
      instance.clock = () => Date.now() + 11 * 60_000;
      // No alarm: only the cron tick can do the work now.
      await state.storage.deleteAlarm();
    });

    const ctx = createExecutionContext();
    await worker.scheduled(createScheduledController({ scheduledTime: new Date(), cron: "* * * * *" }), env, ctx);
    await waitOnExecutionContext(ctx);

    expect(await json(await call(`/v1/workitems/${id}`, { token: auth }))).toMatchObject({
      status: "pending",
      attempts: 1,
    });
    expect(await json(await call(`/v1/botz/${bot}`, { token: auth }))).toMatchObject({ status: "stale" });
    // The tick also re-arms the alarm for whatever comes next, such as the new lease.
    expect((await call("/v1/workitems/claim", { token: auth, body: { botz_id: bot, work_item_id: id } })).status).toBe(
      200,
    );
    const alarm = await runInDurableObject(registry, (_: BotzRegistry, state) => state.storage.getAlarm());
    expect(alarm).not.toBeNull();
    await runInDurableObject(registry, (instance: BotzRegistry) => {
      instance.clock = () => Date.now();
    });
  });
});
