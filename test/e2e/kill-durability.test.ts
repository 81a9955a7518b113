/**
 * Issue 7, "Accepted events are lost when the local server is killed": a 202 from `POST /api/v1/events` and a
 * flush from the registry's outbox must mean the event survives `kill -9` of `npm start`'s server. Each test
 * crashes the real local server ~50 ms after its last answer, restarts it on the same storage and counts, in
 * history, every event it was told was accepted; while waiting it fires the cron tick every 2 s, which is how
 * a restarted server catches up.
 */
import { randomBytes } from "node:crypto";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type BotplaneServer, mintToken, startBotplane } from "./botplane-server.ts";

const KILL_AFTER_MS = 50;
const CATCH_UP_MS = 90_000;
const TICK_EVERY_MS = 2_000;
// Unique per run, so each test counts only its own events even if storage were shared.
const runId = randomBytes(6).toString("hex");

interface HistoryEvent {
  event_id: string;
  type: string;
  payload?: Record<string, unknown>;
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

async function call(
  server: BotplaneServer,
  token: string,
  method: string,
  path: string,
  body?: unknown,
): Promise<{ status: number; json: Record<string, unknown> }> {
  const res = await fetch(`${server.origin}${path}`, {
    method,
    headers: { authorization: `Bearer ${token}`, "content-type": "application/json" },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
  const text = await res.text();
  return { status: res.status, json: text ? (JSON.parse(text) as Record<string, unknown>) : {} };
}

/** Every history event on one subject (all pages). */
async function history(server: BotplaneServer, token: string, subject: string): Promise<HistoryEvent[]> {
  const out: HistoryEvent[] = [];
  let cursor: string | null = null;
  do {
    const query = new URLSearchParams({ subject, limit: "1000" });
    if (cursor) query.set("cursor", cursor);
    const { status, json } = await call(server, token, "GET", `/api/v1/events?${query.toString()}`);
    if (status !== 200) throw new Error(`history answered ${status}: ${JSON.stringify(json)}`);
    out.push(...(json.events as HistoryEvent[]));
    cursor = json.next_cursor as string | null;
  } while (cursor);
  return out;
}

/**
 * Polls until `count()` reaches `expected` or CATCH_UP_MS pass, firing the cron tick every 2 s meanwhile.
 * Returns the last count.
 */
async function waitForCatchUp(server: BotplaneServer, expected: number, count: () => Promise<number>) {
  const deadline = Date.now() + CATCH_UP_MS;
  let seen = await count();
  while (seen < expected && Date.now() < deadline) {
    const tick = await fetch(`${server.origin}/__scheduled?cron=*+*+*+*+*`);
    await tick.body?.cancel();
    await sleep(TICK_EVERY_MS);
    seen = await count();
  }
  return seen;
}

describe("npm start killed with SIGKILL", () => {
  let dir = "";
  let server: BotplaneServer | undefined;

  function running(): BotplaneServer {
    if (!server) throw new Error("server not started");
    return server;
  }

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), "botplane-e2e-kill-"));
    server = await startBotplane({ persistDir: join(dir, "state"), vars: { BUS_REDELIVERY_AFTER: "2s" } });
  });

  afterAll(async () => {
    try {
      await server?.kill();
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it("should keep all 50 events answered 202 and find them in history after a restart", async () => {
    const s = running();
    const subject = `e2e.kill.${runId}`;
    const publisher = `e2e-publisher-${runId}`;
    const [admin, publish, reader] = await Promise.all([
      mintToken(`e2e-admin-${runId}`, ["admin"]),
      mintToken(publisher, ["events:publish"]),
      mintToken(`e2e-reader-${runId}`, ["events:read"]),
    ]);
    // 50 requests in a few seconds exceed the default burst of 10/s; this test is about durability, not limits.
    const limits = await call(s, admin, "PUT", "/api/v1/config/rate_limits", {
      limits: [{ key: `publish:${publisher}`, capacity: 10_000, refill_rate: "10000/hour", burst_capacity: 10_000 }],
    });
    expect(limits.status).toBe(200);
    await sleep(Number(limits.json.propagation_ms ?? 2_000));

    const accepted = new Set<string>();
    for (let i = 0; i < 50; i++) {
      const res = await call(s, publish, "POST", "/api/v1/events", {
        type: subject,
        source: "e2e",
        payload: { n: i },
      });
      expect(res.status, JSON.stringify(res.json)).toBe(202);
      accepted.add(String(res.json.event_id));
    }
    expect(accepted.size).toBe(50);
    await sleep(KILL_AFTER_MS);
    await s.kill();
    await s.restart();

    let ids = new Set<string>();
    const seen = await waitForCatchUp(s, 50, async () => {
      ids = new Set((await history(s, reader, subject)).map((e) => e.event_id));
      return ids.size;
    });
    console.log(`kill -9 after 50 publishes: ${seen} of 50 accepted events in history after the restart`);
    expect([...ids].filter((id) => !accepted.has(id))).toEqual([]);
    expect(ids.size, `${seen} of 50 accepted events reached history`).toBe(50);
  });

  it("should deliver botz.workitem.claimed.v1 for all 85 claims after a restart", async () => {
    const s = running();
    const integration = `e2e-kill-${runId}`;
    const [bot, reader] = await Promise.all([
      mintToken(`e2e-bot-${runId}`, ["botz:write", "workitems:write", "workitems:claim"]),
      mintToken(`e2e-reader-${runId}`, ["events:read"]),
    ]);
    const registered = await call(s, bot, "POST", "/v1/botz/register", {
      botz_name: "e2e-claimer",
      instance_id: `e2e-claimer-${runId}`,
      skill_level: "tac_enabled",
    });
    expect(registered.status, JSON.stringify(registered.json)).toBe(201);
    const botzId = String(registered.json.botz_id);
    const items = Array.from({ length: 85 }, (_, i) => ({
      title: `e2e item ${i}`,
      integration_name: integration,
      required_skill_level: "basic",
    }));
    const created = await call(s, bot, "POST", "/v1/workitems", { items });
    expect(created.status, JSON.stringify(created.json)).toBe(201);
    const itemIds = new Set(created.json.work_item_ids as string[]);
    expect(itemIds.size).toBe(85);

    const claimed = new Set<string>();
    for (let i = 0; i < 85; i++) {
      const res = await call(s, bot, "POST", "/v1/workitems/claim", { botz_id: botzId });
      expect(res.status, JSON.stringify(res.json)).toBe(200);
      claimed.add(String(res.json.work_item_id));
    }
    expect(claimed).toEqual(itemIds);
    await sleep(KILL_AFTER_MS);
    await s.kill();
    await s.restart();

    let ours: HistoryEvent[] = [];
    const seen = await waitForCatchUp(s, 85, async () => {
      const events = await history(s, reader, "botz.workitem.claimed.v1");
      ours = events.filter((e) => itemIds.has(String(e.payload?.work_item_id)));
      return new Set(ours.map((e) => String(e.payload?.work_item_id))).size;
    });
    console.log(`kill -9 after 85 claims: ${seen} of 85 botz.workitem.claimed.v1 events in history after the restart`);
    expect(seen, `${seen} of 85 claim announcements reached history`).toBe(85);
    // One announcement per claim: a re-sent outbox row must not show up as a second event.
    expect(ours.length).toBe(85);
  });
});
