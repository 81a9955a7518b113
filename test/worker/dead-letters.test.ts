/**
 * Retry → dead-letter queue → replay, through the real consumers: a heartbeat for a bot that has not
 * registered yet keeps failing, lands in the DLQ with its error and attempts, and once the bot exists a
 * replay (same event_id) applies it. Failures are also published as ERROR events.
 */
import { env } from "cloudflare:workers";
import { describe, it } from "vitest";
import { botzIdFor } from "../../workers/botz/botz-id";
import { createEvent, type BusEvent } from "../../workers/platform/bus/envelope";
import { ADMIN, call, json, token, uniqueId } from "./helpers";
import { deliver } from "./support/queue";

interface DeadLetter {
  id: string;
  event_id: string;
  handler: string | null;
  error: string;
  attempts: number;
  queue: string;
  replayed_at: string | null;
  replay_count: number;
  created_at: string;
  message: unknown;
}

async function run(queue: string, body: unknown, attempts: number) {
  return (await deliver(queue, [{ body, attempts }])).result;
}

describe("dead letters", () => {
  it("should carry a failing event through retries, the DLQ and a replay without losing it", async ({ expect }) => {
    const instanceId = uniqueId("late-bot");
    const botz_id = await botzIdFor(instanceId);
    const beat: BusEvent = createEvent({
      type: "botz.heartbeat.v1",
      source: "crush",
      payload: { botz_id, status: "busy" },
    });

    for (let attempt = 1; attempt <= 6; attempt++) {
      const result = await run("botplane-bus", beat, attempt);
      expect(result.retryMessages).toHaveLength(1);
    }
    await run("botplane-bus-dlq", beat, 1);

    const listed = await json<{ dead_letters: DeadLetter[] }>(
      await call(`/api/v1/dead-letters?event_id=${beat.event_id}`, { token: await token(["events:read"]) }),
    );
    const [letter] = listed.dead_letters;
    expect(letter).toMatchObject({
      event_id: beat.event_id,
      handler: "botz.heartbeat",
      attempts: 6,
      queue: "botplane-bus-dlq",
      replayed_at: null,
    });
    expect(letter?.error).toContain("no BoTZ instance");

    const errors = await env.DB.prepare("SELECT COUNT(*) AS n FROM dead_letters WHERE event_id = ?")
      .bind(beat.event_id)
      .first<{ n: number }>();
    expect(errors?.n).toBe(1);

    await call("/v1/botz/register", {
      token: await ADMIN(),
      body: { botz_name: "late", instance_id: instanceId, skill_level: "basic" },
    });
    const replay = await call(`/api/v1/dead-letters/${letter?.id}/replay`, {
      method: "POST",
      token: await token(["events:replay"]),
    });
    expect(replay.status).toBe(200);
    expect(await json(replay)).toMatchObject({ replay_count: 1 });
    await expect
      .poll(
        async () =>
          (await json<{ status: string }>(await call(`/v1/botz/${botz_id}`, { token: await ADMIN() }))).status,
        { timeout: 10_000 },
      )
      .toBe("busy");
    const ledger = await env.DB.prepare("SELECT COUNT(*) AS n FROM handler_ledger WHERE event_id = ?")
      .bind(beat.event_id)
      .first<{ n: number }>();
    expect(ledger?.n).toBe(1);
  });

  it("should publish handler failures and dead-letter arrivals as ERROR events", async ({ expect }) => {
    const beat = createEvent({
      type: "botz.heartbeat.v1",
      source: "crush",
      payload: { botz_id: await botzIdFor(uniqueId("ghost")) },
    });
    await run("botplane-bus", beat, 1);
    await run("botplane-bus-dlq", beat, 1);
    const auth = await token(["events:read"]);
    await expect
      .poll(
        async () => {
          const page = await json<{ events: { type: string; payload: { context: Record<string, string> } }[] }>(
            await call(`/api/v1/events?type=ERROR&limit=1000&order=desc`, { token: auth }),
          );
          return page.events
            .filter((e) => e.payload.context.event_id === beat.event_id)
            .map((e) => `${e.type}:${e.payload.context.error_type}`)
            .sort();
        },
        { timeout: 10_000 },
      )
      .toEqual([
        "errors.botplane.bus_dead_letters:dead_letter",
        "errors.botplane.bus_handler_botz_heartbeat:handler_failed",
      ]);
  });

  it("should replay in bulk by filter and skip what is already replayed", async ({ expect }) => {
    // A subject of this test's own: earlier tests leave unreplayed letters, and the bulk replay must pick
    // exactly these three (a `from` bound cannot separate them: created_at is stored in whole seconds).
    const subject = `test.${uniqueId("bulk")}.v1`;
    const beats = [1, 2, 3].map((n) => createEvent({ type: subject, source: "crush", payload: { n } }));
    for (const b of beats) await run("botplane-bus-dlq", b, 1);
    const read = await token(["events:read"]);
    const letterOf = async (eventId: string) =>
      (
        await json<{ dead_letters: DeadLetter[] }>(
          await call(`/api/v1/dead-letters?event_id=${eventId}`, { token: read }),
        )
      ).dead_letters;
    const ours = (await Promise.all(beats.map((b) => letterOf(b.event_id)))).flat();
    expect(ours.map((l) => [l.event_id, l.replayed_at])).toEqual(beats.map((b) => [b.event_id, null]));
    const res = await call("/api/v1/dead-letters/replay", {
      token: await token(["events:replay"]),
      body: { subject, limit: 500 },
    });
    expect(res.status).toBe(200);
    const body = await json<{ replayed: string[]; skipped: unknown[] }>(res);
    expect([...body.replayed].sort()).toEqual(ours.map((l) => l.id).sort());
    expect(body.skipped).toEqual([]);
    for (const b of beats) expect((await letterOf(b.event_id)).map((l) => l.replay_count)).toEqual([1]);
    const again = await json<{ replayed: string[] }>(
      await call("/api/v1/dead-letters/replay", { token: await token(["events:replay"]), body: { subject } }),
    );
    expect(again.replayed).toEqual([]);
    const badTime = await call("/api/v1/dead-letters/replay", {
      token: await token(["events:replay"]),
      body: { subject, from: "yesterday" },
    });
    expect(badTime.status).toBe(400);
    expect((await json<{ error: { message: string } }>(badTime)).error.message).toContain("body.from");
  });

  it("should stamp dead letters in milliseconds, so a from filter in ms finds one stored just after it", async ({
    expect,
  }) => {
    const marker = uniqueId("stamp");
    const from = Date.now();
    await run("botplane-bus", { not: "an envelope", marker }, 1);
    const list = await json<{ dead_letters: DeadLetter[] }>(
      await call(`/api/v1/dead-letters?queue=botplane-bus&from=${from}&limit=500`, {
        token: await token(["events:read"]),
      }),
    );
    const mine = list.dead_letters.filter((d) => JSON.stringify(d.message).includes(marker));
    expect(mine).toHaveLength(1);
    expect(Date.parse(mine[0]?.created_at ?? "")).toBeGreaterThanOrEqual(from);
  });

  it("should refuse to replay a malformed message and 404 an unknown id", async ({ expect }) => {
    await run("botplane-bus", { not: "an envelope", marker: uniqueId("m") }, 1);
    const list = await json<{ dead_letters: DeadLetter[] }>(
      await call("/api/v1/dead-letters?queue=botplane-bus&limit=500", { token: await token(["events:read"]) }),
    );
    const bad = list.dead_letters.find((d) => d.event_id === null);
    const res = await call(`/api/v1/dead-letters/${bad?.id}/replay`, {
      method: "POST",
      token: await token(["events:replay"]),
    });
    expect(res.status).toBe(409);
    expect(
      (
        await call(`/api/v1/dead-letters/${crypto.randomUUID()}/replay`, {
          method: "POST",
          token: await token(["events:replay"]),
        })
      ).status,
    ).toBe(404);
  });
});
