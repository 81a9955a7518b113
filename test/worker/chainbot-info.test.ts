/**
 * ChainBot's module lifecycle and health through the Worker's entry: `/info` in the seed's shape, stop and
 * start persisted in D1 and seen by `chainbotRunning`, `/health` with every component measured (the engine's
 * checks in detail: chainbot-health.test.ts), and an unreachable D1 answered as `error`/503, never a 500. Every test leaves the
 * module running.
 */
import { env } from "cloudflare:workers";
import { createExecutionContext, waitOnExecutionContext } from "cloudflare:test";
import { afterEach, describe, it } from "vitest";
import { chainbotHealth, type ComponentCheck, latencyScore } from "../../workers/chainbot/lifecycle/health";
import { chainbotRunning } from "../../workers/chainbot/lifecycle/state";
import worker from "../../workers/index";
import { ADMIN, call, json, token } from "./helpers";

interface Info {
  module_id: string;
  version: string;
  status: string;
  started_at: string | null;
  stopped_at: string | null;
  health_score: number;
  changed?: boolean;
}
interface Component {
  status: string;
  score: number | null;
  latency_ms?: number;
  detail?: string;
}
interface Health {
  status: string;
  health_score: number;
  module_status: string;
  components: Record<string, Component>;
}

async function post(action: "stop" | "start"): Promise<Info> {
  const res = await call(`/api/chainbot/${action}`, { method: "POST", token: await token(["chainbot:admin"]) });
  if (res.status !== 200) throw new Error(`${action}: ${res.status} ${await res.text()}`);
  return json<Info>(res);
}

async function get<T>(path: string): Promise<{ status: number; body: T }> {
  const res = await call(path, { token: await token(["chainbot:read"]) });
  return { status: res.status, body: await json<T>(res) };
}

afterEach(async () => {
  await post("start");
});

describe("GET /api/chainbot/info", () => {
  it("should answer the seed's module info for a running module", async ({ expect }) => {
    const { status, body } = await get<Info>("/api/chainbot/info");
    expect(status).toBe(200);
    expect(Object.keys(body).sort()).toEqual(
      ["health_score", "module_id", "started_at", "status", "stopped_at", "version"].sort(),
    );
    expect(body).toMatchObject({ module_id: "chainbot", version: "0.1.0", status: "running", stopped_at: null });
    expect(Number.isNaN(Date.parse(body.started_at ?? ""))).toBe(false);
    // Only the database is measured; its latency decides the score (1.0 when fast, never below 0.5 while up).
    expect(body.health_score).toBeGreaterThanOrEqual(0.5);
    expect(body.health_score).toBeLessThanOrEqual(1);
  });
});

describe("POST /api/chainbot/stop and /start", () => {
  it("should persist the stop, refuse nothing twice, and start again with a new started_at", async ({ expect }) => {
    const before = (await get<Info>("/api/chainbot/info")).body;
    const stopped = await post("stop");
    expect(stopped).toMatchObject({ status: "stopped", changed: true, started_at: before.started_at });
    expect(stopped.stopped_at).not.toBeNull();
    expect(await chainbotRunning(env)).toBe(false);
    const row = await env.DB.prepare(
      "SELECT status, stopped_at FROM chainbot_module_state WHERE id = 'chainbot'",
    ).first();
    expect(row).toEqual({ status: "stopped", stopped_at: Date.parse(stopped.stopped_at ?? "") });
    expect((await get<Info>("/api/chainbot/info")).body.status).toBe("stopped");

    const again = await post("stop");
    expect(again).toMatchObject({ status: "stopped", changed: false, stopped_at: stopped.stopped_at });

    const started = await post("start");
    expect(started).toMatchObject({ status: "running", changed: true, stopped_at: null });
    expect(Date.parse(started.started_at ?? "")).toBeGreaterThanOrEqual(Date.parse(stopped.stopped_at ?? ""));
    expect(await chainbotRunning(env)).toBe(true);
  });

  it("should need chainbot:admin to stop; chainbot:read only reads", async ({ expect }) => {
    const res = await call("/api/chainbot/stop", { method: "POST", token: await token(["chainbot:read"]) });
    expect(res.status).toBe(403);
    expect(await chainbotRunning(env)).toBe(true);
    expect((await call("/api/chainbot/stop", { method: "POST", token: await ADMIN() })).status).toBe(200);
    expect(await chainbotRunning(env)).toBe(false);
  });
});

describe("GET /api/chainbot/health", () => {
  it("should measure every component and report stopped components while the module is stopped", async ({ expect }) => {
    const { status, body } = await get<Health>("/api/chainbot/health");
    expect(status).toBe(200);
    expect(Object.keys(body.components)).toEqual([
      "database",
      "workflow_orchestrator",
      "agent_spawner",
      "entanglement_manager",
    ]);
    const db = body.components.database;
    expect(["healthy", "degraded"]).toContain(db?.status);
    expect(typeof db?.latency_ms).toBe("number");
    expect(db?.score).toBe(latencyScore(db?.latency_ms ?? -1));
    expect(body.module_status).toBe("running");
    for (const name of ["workflow_orchestrator", "agent_spawner", "entanglement_manager"])
      expect(typeof body.components[name]?.score).toBe("number");

    await post("stop");
    const stopped = (await get<Health>("/api/chainbot/health")).body;
    expect(stopped.module_status).toBe("stopped");
    expect(stopped.components.workflow_orchestrator).toMatchObject({ status: "stopped", score: 1 });
  });

  it("should answer 503 unhealthy with score 0, and info status error, when D1 is unreachable", async ({ expect }) => {
    const deadDb = new Proxy(env.DB, {
      get(target, prop) {
        if (prop === "prepare" || prop === "batch")
          return () => {
            throw new Error("D1 unreachable");
          };
        const value: unknown = Reflect.get(target, prop);
        return typeof value === "function" ? (value as (...a: unknown[]) => unknown).bind(target) : value;
      },
    });
    const auth = await token(["chainbot:read"]);
    async function fetchDead(path: string): Promise<Response> {
      const ctx = createExecutionContext();
      const res = await worker.fetch(
        new Request(`https://botplane.test${path}`, { headers: { authorization: `Bearer ${auth}` } }),
        { ...env, DB: deadDb },
        ctx,
      );
      await waitOnExecutionContext(ctx);
      return res;
    }
    const health = await fetchDead("/api/chainbot/health");
    expect(health.status).toBe(503);
    const body = await json<Health>(health);
    expect(body).toMatchObject({ status: "unhealthy", module_status: "error" });
    expect(body.components.database).toMatchObject({ status: "unhealthy", score: 0, detail: "D1 unreachable" });
    expect(body.components.workflow_orchestrator).toMatchObject({ status: "unhealthy", score: 0 });
    // The Durable Object checks still answer; the overall score is the mean of the four.
    const scores = Object.values(body.components).map((c) => c.score ?? 0);
    expect(body.health_score).toBe(Math.round((scores.reduce((a, b) => a + b, 0) / 4) * 100) / 100);
    expect(body.health_score).toBeLessThan(0.75);
    const info = await fetchDead("/api/chainbot/info");
    expect(info.status).toBe(200);
    const infoBody = await json<Info>(info);
    expect(infoBody).toMatchObject({ status: "error", started_at: null });
    expect(infoBody.health_score).toBeLessThan(0.75);
  });
});

describe("chainbotHealth", () => {
  it("should average the scored components only and take the worst status", async ({ expect }) => {
    const fixed =
      (status: Component["status"], score: number | null): ComponentCheck =>
      () =>
        Promise.resolve({ status: status as "healthy", score });
    const report = await chainbotHealth(env, null, {
      database: fixed("healthy", 1),
      workflow_orchestrator: fixed("degraded", 0.6),
      agent_spawner: fixed("not_started", null),
      entanglement_manager: () => Promise.reject(new Error("boom")),
    });
    expect(report.health_score).toBe(0.53);
    expect(report.status).toBe("unhealthy");
    expect(report.components.entanglement_manager).toEqual({ status: "unhealthy", score: 0, detail: "boom" });
  });

  it("should score D1 latency 1.0 up to 200 ms, falling linearly to 0.5 at 2 s", ({ expect }) => {
    expect([0, 200, 1100, 2000, 9000].map(latencyScore)).toEqual([1, 1, 0.75, 0.5, 0.5]);
  });
});
