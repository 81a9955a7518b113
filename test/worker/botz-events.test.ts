/**
 * The BoTZ gateway's announcements, read back from event history after the registry's outbox flushed and the
 * queue delivered them: `botz.registered.v1` on register (and re-register) and `botz.workitem.completed.v1` on
 * complete, each with its exact payload and an envelope that continues the request's trace.
 */
import { env } from "cloudflare:workers";
import { afterEach, describe, it, type ExpectStatic } from "vitest";
import { ADMIN, call, createItems, json, token, uniqueId } from "./helpers";
import { stopClock } from "./support/clock";

const stub = () => env.BOTZ_REGISTRY.getByName("default");

interface HistoryEvent {
  event_id: string;
  correlation_id: string;
  type: string;
  source: string;
  timestamp: string;
  version: number;
  metadata: Record<string, string>;
  payload: Record<string, unknown>;
}

/** Polls history for `subject` until `count` events match `pick`, and returns them. */
async function announced(
  expect: ExpectStatic,
  subject: string,
  pick: (e: HistoryEvent) => boolean,
  count: number,
): Promise<HistoryEvent[]> {
  const read = await token(["events:read"]);
  const matching = async () => {
    const res = await call(`/api/v1/events?subject=${subject}&limit=1000`, { token: read });
    if (res.status !== 200) throw new Error(`history: ${res.status} ${await res.text()}`);
    return (await json<{ events: HistoryEvent[] }>(res)).events.filter(pick);
  };
  await expect.poll(async () => (await matching()).length, { timeout: 10_000 }).toBe(count);
  return matching();
}

/** A caller's own trace, which the registry's events must continue. */
function traceparent(): { header: string; traceId: string } {
  const hex = (n: number) =>
    Array.from(crypto.getRandomValues(new Uint8Array(n)), (b) => b.toString(16).padStart(2, "0")).join("");
  const traceId = hex(16);
  return { header: `00-${traceId}-${hex(8)}-01`, traceId };
}

describe("BoTZ events", () => {
  afterEach(async () => {
    await stopClock(stub(), null);
  });

  it("should announce botz.registered.v1 with its payload on register and on re-register", async ({ expect }) => {
    const auth = await ADMIN();
    const instanceId = uniqueId("events-bot");
    const trace = traceparent();
    const body = { botz_name: "events-bot", instance_id: instanceId, skill_level: "tac_enabled" };
    const first = await call("/v1/botz/register", { token: auth, body, headers: { traceparent: trace.header } });
    expect(first.status).toBe(201);
    const botzId = (await json<{ botz_id: string }>(first)).botz_id;
    const again = await call("/v1/botz/register", { token: auth, body: { ...body, skill_level: "agentic" } });
    expect(again.status).toBe(200);

    const events = await announced(expect, "botz.registered.v1", (e) => e.payload.instance_id === instanceId, 2);
    const created = events.find((e) => e.payload.created === true);
    const updated = events.find((e) => e.payload.created === false);
    expect(created?.payload).toEqual({
      botz_id: botzId,
      instance_id: instanceId,
      botz_name: "events-bot",
      skill_level: "tac_enabled",
      created: true,
    });
    expect(updated?.payload).toEqual({
      botz_id: botzId,
      instance_id: instanceId,
      botz_name: "events-bot",
      skill_level: "agentic",
      created: false,
    });
    expect(created).toMatchObject({ type: "botz.registered.v1", source: "botz-gateway", version: 1 });
    expect(created?.correlation_id).toBe(created?.event_id);
    expect(created?.metadata.traceparent).toMatch(new RegExp(`^00-${trace.traceId}-[0-9a-f]{16}-01$`));
  });

  it("should announce botz.workitem.completed.v1 with its payload, error and duration", async ({ expect }) => {
    const auth = await ADMIN();
    const botzId = (
      await json<{ botz_id: string }>(
        await call("/v1/botz/register", {
          token: auth,
          body: { botz_name: "events-worker", instance_id: uniqueId("events-worker"), skill_level: "basic" },
        }),
      )
    ).botz_id;
    const [done, broken] = (await createItems(auth, [{}, {}])) as [string, string];

    // The registry's clock stands still, so the duration each event reports is exactly the step taken here.
    const T = Date.now();
    const clockAt = (at: number) => stopClock(stub(), at);
    await clockAt(T);
    const claim = async (id: string) => {
      const res = await call("/v1/workitems/claim", { token: auth, body: { botz_id: botzId, work_item_id: id } });
      expect(res.status).toBe(200);
      return (await json<{ fencing_token: number }>(res)).fencing_token;
    };
    const doneToken = await claim(done);
    const brokenToken = await claim(broken);

    await clockAt(T + 250);
    const failed = await call("/v1/workitems/complete", {
      token: auth,
      body: {
        work_item_id: broken,
        botz_id: botzId,
        fencing_token: brokenToken,
        status: "failed",
        error: "disk full",
      },
    });
    expect(failed.status).toBe(200);
    await clockAt(T + 1_500);
    const trace = traceparent();
    const completed = await call("/v1/workitems/complete", {
      token: auth,
      headers: { traceparent: trace.header },
      body: {
        work_item_id: done,
        botz_id: botzId,
        fencing_token: doneToken,
        status: "completed",
        result: { scanned: 120 },
      },
    });
    expect(completed.status).toBe(200);

    const events = await announced(
      expect,
      "botz.workitem.completed.v1",
      (e) => e.payload.work_item_id === done || e.payload.work_item_id === broken,
      2,
    );
    const byItem = new Map(events.map((e) => [e.payload.work_item_id, e]));
    expect(byItem.get(done)?.payload).toEqual({
      work_item_id: done,
      botz_id: botzId,
      fencing_token: doneToken,
      status: "completed",
      error: null,
      duration_ms: 1_500,
    });
    expect(byItem.get(broken)?.payload).toEqual({
      work_item_id: broken,
      botz_id: botzId,
      fencing_token: brokenToken,
      status: "failed",
      error: "disk full",
      duration_ms: 250,
    });
    expect(byItem.get(done)).toMatchObject({
      type: "botz.workitem.completed.v1",
      source: "botz-gateway",
      version: 1,
      timestamp: new Date(T + 1_500).toISOString(),
    });
    expect(byItem.get(done)?.metadata.traceparent).toMatch(new RegExp(`^00-${trace.traceId}-[0-9a-f]{16}-01$`));
  });
});
