/**
 * Retention: the cron tick deletes history, claim-checked payloads, ledger rows and the live log past
 * EVENT_RETENTION_DAYS, measured from when botplane received each event (not the publisher's timestamp), and
 * keeps everything younger.
 */
import { env } from "cloudflare:workers";
import { createExecutionContext, createScheduledController, waitOnExecutionContext } from "cloudflare:test";
import { describe, it } from "vitest";
import { insertHistory, toRow } from "../../workers/bus/history-store";
import { retentionMs, sweepRetention } from "../../workers/bus/retention";
import { createEvent } from "../../workers/platform/bus/envelope";
import worker from "../../workers/index";
import { call, json, token } from "./helpers";

const DAY = 24 * 3600_000;

async function tick(now: number): Promise<void> {
  const ctx = createExecutionContext();
  await worker.scheduled(createScheduledController({ scheduledTime: new Date(now), cron: "* * * * *" }), env, ctx);
  await waitOnExecutionContext(ctx);
}

describe("retention sweep", () => {
  it("should delete what was received before EVENT_RETENTION_DAYS on the cron tick and keep the rest", async ({
    expect,
  }) => {
    expect(retentionMs(env)).toBe(7 * DAY);
    const now = Date.now();
    // Received 8 and 9 days ago (timestamps recent, so only received_at can make them old).
    const old = createEvent({ type: "retention.old.v1", source: "t", payload: null, now: now - 1000 });
    const oldBig = {
      ...createEvent({ type: "retention.old.v1", source: "t", payload: null, now: now - 2000 }),
      payload_ref: "/api/v1/events/x",
    };
    // Received 6 days ago, but stamped by its publisher 30 days ago: kept.
    const fresh = createEvent({ type: "retention.fresh.v1", source: "t", payload: null, now: now - 30 * DAY });
    await insertHistory(env, [
      toRow(old, 4, now - 8 * DAY),
      toRow(oldBig, 0, now - 9 * DAY),
      toRow(fresh, 4, now - 6 * DAY),
    ]);
    await env.EVENT_BLOBS.put(`events/${oldBig.event_id}.json`, JSON.stringify(oldBig));
    await env.DB.prepare("INSERT INTO handler_ledger (event_id, handler, applied_at) VALUES (?, 'h', ?), (?, 'h', ?)")
      .bind(old.event_id, now - 8 * DAY, fresh.event_id, now)
      .run();

    await tick(now);

    const left = await env.DB.prepare("SELECT event_id FROM events WHERE subject LIKE 'retention.%'").all<{
      event_id: string;
    }>();
    expect(left.results.map((r) => r.event_id)).toEqual([fresh.event_id]);
    expect(await env.EVENT_BLOBS.get(`events/${oldBig.event_id}.json`)).toBeNull();
    const ledger = await env.DB.prepare("SELECT event_id FROM handler_ledger WHERE handler = 'h'").all<{
      event_id: string;
    }>();
    expect(ledger.results.map((r) => r.event_id)).toEqual([fresh.event_id]);
  });

  it("should keep an event published now with a 2009 timestamp, and delete it once received > 7 days ago", async ({
    expect,
  }) => {
    const auth = await token(["events:publish", "events:read"]);
    const res = await call("/api/v1/events", {
      token: auth,
      body: { type: "retention.dated.v1", source: "BalatroMCP", timestamp: 1234567890000, payload: { ante: 3 } },
    });
    expect(res.status).toBe(202);
    const { event_id } = await json<{ event_id: string }>(res);
    await expect
      .poll(async () => (await call(`/api/v1/events/${event_id}`, { token: auth })).status, {
        timeout: 10_000,
        interval: 50,
      })
      .toBe(200);

    await tick(Date.now());
    const kept = await call(`/api/v1/events/${event_id}`, { token: auth });
    expect(kept.status).toBe(200);
    expect((await json<{ timestamp: string }>(kept)).timestamp).toBe("2009-02-13T23:31:30.000Z");

    await sweepRetention(env, Date.now() + 8 * DAY);
    expect((await call(`/api/v1/events/${event_id}`, { token: auth })).status).toBe(404);
  });
});
