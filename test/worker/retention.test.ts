/**
 * Retention: the cron tick deletes history, claim-checked payloads, ledger rows and the live log past
 * EVENT_RETENTION_DAYS, and keeps everything younger.
 */
import { env } from "cloudflare:workers";
import { createExecutionContext, createScheduledController, waitOnExecutionContext } from "cloudflare:test";
import { describe, it } from "vitest";
import { insertHistory, toRow } from "../../workers/bus/history-store";
import { retentionMs } from "../../workers/bus/retention";
import { createEvent } from "../../workers/platform/bus/envelope";
import worker from "../../workers/index";

const DAY = 24 * 3600_000;

describe("retention sweep", () => {
  it("should delete what is older than EVENT_RETENTION_DAYS on the cron tick and keep the rest", async ({ expect }) => {
    expect(retentionMs(env)).toBe(7 * DAY);
    const now = Date.now();
    const old = createEvent({ type: "retention.old.v1", source: "t", payload: null, now: now - 8 * DAY });
    const oldBig = {
      ...createEvent({ type: "retention.old.v1", source: "t", payload: null, now: now - 9 * DAY }),
      payload_ref: "/api/v1/events/x",
    };
    const fresh = createEvent({ type: "retention.fresh.v1", source: "t", payload: null, now: now - 6 * DAY });
    await insertHistory(env, [toRow(old, 4, now), toRow(oldBig, 0, now), toRow(fresh, 4, now)]);
    await env.EVENT_BLOBS.put(`events/${oldBig.event_id}.json`, JSON.stringify(oldBig));
    await env.DB.prepare("INSERT INTO handler_ledger (event_id, handler, applied_at) VALUES (?, 'h', ?), (?, 'h', ?)")
      .bind(old.event_id, now - 8 * DAY, fresh.event_id, now)
      .run();

    const ctx = createExecutionContext();
    await worker.scheduled(createScheduledController({ scheduledTime: new Date(now), cron: "* * * * *" }), env, ctx);
    await waitOnExecutionContext(ctx);

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
});
