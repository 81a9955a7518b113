/**
 * Analytics through the Worker's entry: `metrics.*`, `game.state` and `learning.decision` ingested into
 * ANALYTICS_DB exactly once (copies in one batch and across batches), `POST /api/v1/query` answering one
 * SELECT and refusing writes, PRAGMA, other tables and unknown functions with the parser's position, and
 * both stores' retention on the cron tick.
 */
import { env } from "cloudflare:workers";
import { createExecutionContext, createScheduledController, waitOnExecutionContext } from "cloudflare:test";
import { describe, it } from "vitest";
import worker from "../../workers/index";
import { analyticsBusHandlers } from "../../workers/jimbot/analytics/ingest";
import { createEvent } from "../../workers/platform/bus/envelope";
import { handlersFor, mergeHandlerTables, type BusHandler } from "../../workers/platform/bus/handlers";
import { call, json, token, uniqueId } from "./helpers";
import { deliverToBus } from "./support/queue";

const HOUR = 3_600_000;
const DAY = 24 * HOUR;

async function query(sql: string, scopes = ["metrics:read"], extra: Record<string, unknown> = {}) {
  const res = await call("/api/v1/query", { token: await token(scopes), body: { sql, ...extra } });
  return { res, body: await json<Record<string, unknown>>(res) };
}

async function refusal(sql: string) {
  const { res, body } = await query(sql);
  return { status: res.status, error: body.error as { code: string; message: string; details: unknown } };
}

describe("analytics ingestion", () => {
  it("should ingest metrics.*, game.state and learning.decision once, across copies and batches", async ({
    expect,
  }) => {
    const game = uniqueId("game");
    const metric = createEvent({
      type: "metrics.trainer",
      source: "trainer",
      payload: { name: "episode_reward", value: 12.5, game_id: game },
    });
    const state = createEvent({ type: "game.state", source: "mcp", payload: { game_id: game, ante: 2, chips: 300 } });
    const decision = createEvent({
      type: "learning.decision",
      source: "rllib",
      payload: { request_id: "r1", selected_action: "play_hand", confidence: 0.75, game_id: game },
    });
    const first = await deliverToBus([metric, metric, state, decision]);
    expect(first.outcomes).toEqual(["acked", "acked", "acked", "acked"]);
    // Redelivered in a later batch: still one row each.
    await deliverToBus([metric, decision]);
    const { res, body } = await query(
      `SELECT subject, source, name, value FROM analytics_events WHERE game_id = '${game}' ORDER BY subject`,
    );
    expect(res.status).toBe(200);
    expect(body).toMatchObject({
      columns: ["subject", "source", "name", "value"],
      rows: [
        { subject: "game.state", source: "mcp", name: "game.state", value: 300 },
        { subject: "learning.decision", source: "rllib", name: "play_hand", value: 0.75 },
        { subject: "metrics.trainer", source: "trainer", name: "episode_reward", value: 12.5 },
      ],
      row_count: 3,
      truncated: false,
    });
  });
});

describe("analytics handler table", () => {
  it("should match metrics subjects by pattern and keep another table's handlers of the same key", ({ expect }) => {
    const other: BusHandler = { name: "other.metrics", run: () => Promise.resolve() };
    const table = mergeHandlerTables(analyticsBusHandlers, { "metrics.>": [other], "game.state": [other] });
    expect(handlersFor(table, "metrics.cpu.load").map((h) => h.name)).toEqual(["analytics.ingest", "other.metrics"]);
    expect(handlersFor(table, "game.state").map((h) => h.name)).toEqual(["analytics.ingest", "other.metrics"]);
    expect(handlersFor(table, "metrics")).toEqual([]);
    expect(handlersFor(table, "learning.decision.v2")).toEqual([]);
  });
});

describe("POST /api/v1/query", () => {
  it("should take raw SQL as text/plain and cap rows at max_rows", async ({ expect }) => {
    const name = uniqueId("m");
    const events = [1, 2, 3].map((value) =>
      createEvent({ type: "metrics.cap", source: "t", payload: { name, value } }),
    );
    await deliverToBus(events);
    const res = await call("/api/v1/query", {
      token: await token(["metrics:read"]),
      headers: { "content-type": "text/plain" },
      body: `SELECT count(*) AS n, sum(value) AS total FROM analytics_events WHERE name = '${name}';`,
    });
    expect(res.status).toBe(200);
    expect(await json(res)).toMatchObject({ rows: [{ n: 3, total: 6 }], row_count: 1, truncated: false });
    const capped = await query(`SELECT value FROM analytics_events WHERE name = '${name}' ORDER BY value`, undefined, {
      max_rows: 2,
    });
    expect(capped.body).toMatchObject({ rows: [{ value: 1 }, { value: 2 }], row_count: 2, truncated: true });
  });

  it("should refuse SQL that writes, with the position of the statement", async ({ expect }) => {
    expect(await refusal("DELETE FROM analytics_events")).toEqual({
      status: 400,
      error: {
        code: "sql_not_select",
        message: "only SELECT is allowed, not DELETE",
        details: { position: { line: 1, column: 1, offset: 0 } },
      },
    });
    expect((await refusal("INSERT INTO analytics_events (event_id) VALUES ('x')")).error.code).toBe("sql_not_select");
    expect((await refusal("SELECT 1; DROP TABLE analytics_events")).error).toMatchObject({
      code: "sql_not_single_select",
      details: { position: { line: 1, column: 9, offset: 8 } },
    });
  });

  it("should refuse PRAGMA and ATTACH with the parser's position", async ({ expect }) => {
    const pragma = await refusal("PRAGMA table_info(analytics_events)");
    expect(pragma.status).toBe(400);
    expect(pragma.error.code).toBe("sql_syntax");
    expect(pragma.error.details).toEqual({ position: { line: 1, column: 8, offset: 7 } });
    const attach = await refusal("ATTACH 'other.db' AS other");
    expect(attach.error).toMatchObject({
      code: "sql_syntax",
      details: { position: { line: 1, column: 8, offset: 7 } },
    });
  });

  it("should refuse another table and an unknown function, naming where", async ({ expect }) => {
    expect(await refusal("SELECT *\nFROM handler_ledger")).toEqual({
      status: 400,
      error: {
        code: "sql_unknown_table",
        message: "table 'handler_ledger' cannot be queried; known tables: analytics_events, analytics_snapshots",
        details: { position: { line: 2, column: 6, offset: 14 } },
      },
    });
    expect((await refusal("SELECT * FROM (SELECT name FROM sqlite_master)")).error).toMatchObject({
      code: "sql_unknown_table",
      details: { position: { line: 1, column: 33, offset: 32 } },
    });
    expect(await refusal("SELECT load_extension('x') FROM analytics_events")).toEqual({
      status: 400,
      error: {
        code: "sql_unknown_function",
        message: "function 'load_extension' is not allowed in analytics queries",
        details: { position: { line: 1, column: 8, offset: 7 } },
      },
    });
    const cte = await query("WITH t AS (SELECT count(*) AS n FROM analytics_snapshots) SELECT n FROM t");
    expect(cte.res.status).toBe(200);
    const none = await query("SELECT event_id, value FROM analytics_events WHERE 0");
    expect(none.body).toMatchObject({ columns: ["event_id", "value"], rows: [], row_count: 0, truncated: false });
  });

  it("should refuse a missing token, a missing scope, a bad body and an unknown content type", async ({ expect }) => {
    expect((await call("/api/v1/query", { body: { sql: "SELECT 1" } })).status).toBe(401);
    expect((await query("SELECT 1", ["knowledge:read"])).res.status).toBe(403);
    const auth = await token(["metrics:read"]);
    expect((await call("/api/v1/query", { token: auth, body: { sql: "" } })).status).toBe(400);
    expect((await call("/api/v1/query", { token: auth, body: { sql: "SELECT 1", max_rows: 0 } })).status).toBe(400);
    const xml = await call("/api/v1/query", { token: auth, headers: { "content-type": "text/xml" }, body: "<q/>" });
    expect(xml.status).toBe(415);
    const column = await refusal("SELECT no_such_column FROM analytics_events");
    expect(column).toMatchObject({ status: 400, error: { code: "sql_error" } });
  });
});

describe("analytics retention (cron tick)", () => {
  it("should snapshot hours, drop event days past 30 and snapshots past 90", async ({ expect }) => {
    const now = Date.UTC(2031, 0, 10, 12, 30);
    const subject = `metrics.${uniqueId("ret").replace(/[^a-z0-9]/gi, "_")}`;
    const day = (ms: number) => new Date(ms).toISOString().slice(0, 10);
    const insert = (id: string, ts: number, value: number) =>
      env.ANALYTICS_DB.prepare(
        "INSERT INTO analytics_events (event_id, day, hour, ts, subject, source, name, value, game_id, correlation_id, payload) VALUES (?, ?, ?, ?, ?, 't', 'm', ?, NULL, 'c', '{}')",
      ).bind(id, day(ts), ts - (ts % HOUR), ts, subject, value);
    const snapshot = (hour: number) =>
      env.ANALYTICS_DB.prepare(
        "INSERT INTO analytics_snapshots (hour, day, subject, name, events, value_sum, value_min, value_max, taken_at) VALUES (?, ?, ?, 'm', 1, 1, 1, 1, 0)",
      ).bind(hour, day(hour), subject);
    const thisHour = now - (now % HOUR);
    await env.ANALYTICS_DB.batch([
      insert(crypto.randomUUID(), now - 10 * 60_000, 2),
      insert(crypto.randomUUID(), now - 5 * 60_000, 4),
      insert(crypto.randomUUID(), now - 29 * DAY, 1),
      insert(crypto.randomUUID(), now - 32 * DAY, 1),
      snapshot(thisHour - 89 * DAY),
      snapshot(thisHour - 92 * DAY),
    ]);
    const ctx = createExecutionContext();
    await worker.scheduled(createScheduledController({ scheduledTime: new Date(now), cron: "* * * * *" }), env, ctx);
    await waitOnExecutionContext(ctx);
    const events = await env.ANALYTICS_DB.prepare("SELECT day FROM analytics_events WHERE subject = ? ORDER BY ts")
      .bind(subject)
      .all<{ day: string }>();
    expect(events.results.map((r) => r.day)).toEqual([day(now - 29 * DAY), "2031-01-10", "2031-01-10"]);
    const snaps = await env.ANALYTICS_DB.prepare(
      "SELECT hour, events, value_sum, value_min, value_max FROM analytics_snapshots WHERE subject = ? ORDER BY hour",
    )
      .bind(subject)
      .all();
    expect(snaps.results).toEqual([
      { hour: thisHour - 89 * DAY, events: 1, value_sum: 1, value_min: 1, value_max: 1 },
      { hour: thisHour, events: 2, value_sum: 6, value_min: 2, value_max: 4 },
    ]);
  });
});
