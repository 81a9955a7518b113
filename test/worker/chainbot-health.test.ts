/**
 * ChainBot's health from real checks, through the Worker's entry: the exact shape, a stuck execution (running
 * past its deadline in the execution index) and recent failures lowering the orchestrator's score, the agent
 * limit's headroom lowering the spawner's, a stopped module, and the edge devices when there are any. Every
 * test removes the rows it adds and leaves the module running and the config at its defaults.
 */
import { env } from "cloudflare:workers";
import { afterEach, describe, it } from "vitest";
import { ADMIN, call, json, token, uniqueId } from "./helpers";

interface Component {
  status: string;
  score: number | null;
  latency_ms?: number;
  detail?: string;
  facts?: Record<string, number>;
}
interface Health {
  status: string;
  health_score: number;
  module_status: string;
  components: Record<string, Component>;
  edge_devices: { online: number; offline: number; over_temperature: number } | null;
}

const added: { table: "chainbot_executions" | "edge_devices"; id: string }[] = [];

async function health(): Promise<{ status: number; body: Health }> {
  const res = await call("/api/chainbot/health", { token: await token(["chainbot:read"]) });
  return { status: res.status, body: await json<Health>(res) };
}

async function indexRow(status: string, fields: { deadlineAt?: number; finishedAt?: number }): Promise<void> {
  const id = uniqueId("exec");
  added.push({ table: "chainbot_executions", id });
  const now = Date.now();
  await env.DB.prepare(
    `INSERT INTO chainbot_executions (id, workflow_id, workflow_version, status, created_by, created_at, updated_at,
       started_at, finished_at, deadline_at) VALUES (?, 'wf-health', 1, ?, 'test', ?, ?, ?, ?, ?)`,
  )
    .bind(id, status, now - 7_200_000, now, now - 7_200_000, fields.finishedAt ?? null, fields.deadlineAt ?? null)
    .run();
}

async function admin(path: string, init: { method: string; body?: unknown }): Promise<void> {
  const res = await call(path, { ...init, token: await ADMIN() });
  if (res.status !== 200) throw new Error(`${path}: ${res.status} ${await res.text()}`);
}

afterEach(async () => {
  for (const { table, id } of added.splice(0))
    await env.DB.prepare(`DELETE FROM ${table} WHERE ${table === "edge_devices" ? "device_id" : "id"} = ?`)
      .bind(id)
      .run();
  await admin("/api/chainbot/start", { method: "POST" });
  await admin("/api/chainbot/config", { method: "PATCH", body: { "agents.max_total_instances": null } });
});

describe("GET /api/chainbot/health", () => {
  it("should answer the seed's shape with every component measured", async ({ expect }) => {
    const { status, body } = await health();
    expect(status).toBe(200);
    expect(Object.keys(body).sort()).toEqual(["components", "edge_devices", "health_score", "module_status", "status"]);
    // Round-trip latency on a loaded machine can degrade the others; the orchestrator's score has no latency.
    expect(["healthy", "degraded"]).toContain(body.status);
    expect(body.edge_devices).toBeNull();
    expect(body.components.workflow_orchestrator).toEqual({
      status: "healthy",
      score: 1,
      facts: { stuck_executions: 0, finished_last_hour: 0, error_rate: 0 },
    });
    const spawner = body.components.agent_spawner;
    expect(spawner?.facts).toEqual({ live_agents: 0, max_total_instances: 50, headroom: 1 });
    expect(typeof spawner?.latency_ms).toBe("number");
    expect(typeof body.components.entanglement_manager?.latency_ms).toBe("number");
    const scores = Object.values(body.components).map((c) => c.score ?? -1);
    expect(body.health_score).toBe(Math.round((scores.reduce((a, b) => a + b, 0) / 4) * 100) / 100);
  });

  it("should lower the orchestrator's score for a stuck execution and for recent failures", async ({ expect }) => {
    const now = Date.now();
    await indexRow("running", { deadlineAt: now - 5 * 60_000 });
    // Running, but within its deadline: not stuck.
    await indexRow("running", { deadlineAt: now + 60_000 });
    const stuck = (await health()).body;
    expect(stuck.components.workflow_orchestrator).toEqual({
      status: "degraded",
      score: 0.75,
      facts: { stuck_executions: 1, finished_last_hour: 0, error_rate: 0 },
    });
    expect(stuck.status).toBe("degraded");

    await indexRow("failed", { finishedAt: now - 60_000 });
    await indexRow("completed", { finishedAt: now - 60_000 });
    await indexRow("cancelled", { finishedAt: now - 60_000 });
    // Outside the hour: not counted.
    await indexRow("failed", { finishedAt: now - 2 * 3_600_000 });
    const failing = (await health()).body;
    expect(failing.components.workflow_orchestrator).toEqual({
      status: "degraded",
      score: 0.5,
      facts: { stuck_executions: 1, finished_last_hour: 2, error_rate: 0.5 },
    });
  });

  it("should score the spawner down when no agent can be spawned under the limit", async ({ expect }) => {
    const spawned = await call("/api/chainbot/agents", {
      body: { agent_type: "assistant", config: { name: "Only", personality: "helpful" } },
      token: await ADMIN(),
    });
    expect(spawned.status).toBe(201);
    const { id } = await json<{ id: string }>(spawned);
    try {
      await admin("/api/chainbot/config", { method: "PATCH", body: { "agents.max_total_instances": 1 } });
      const spawner = (await health()).body.components.agent_spawner;
      expect(spawner).toMatchObject({
        status: "degraded",
        score: 0.5,
        facts: { live_agents: 1, max_total_instances: 1, headroom: 0 },
        detail: "at agents.max_total_instances (1): no agent can be spawned",
      });
    } finally {
      await call(`/api/chainbot/agents/${id}`, { method: "DELETE", token: await ADMIN() });
    }
  });

  it("should report the engine's components stopped, still measured, while the module is stopped", async ({
    expect,
  }) => {
    await admin("/api/chainbot/stop", { method: "POST" });
    const { status, body } = await health();
    expect(status).toBe(200);
    expect(body.module_status).toBe("stopped");
    for (const name of ["workflow_orchestrator", "agent_spawner", "entanglement_manager"]) {
      expect(body.components[name]?.status).toBe("stopped");
      expect(body.components[name]?.score).toBe(1);
    }
  });

  it("should count the edge devices online, offline and over temperature", async ({ expect }) => {
    const now = Date.now();
    for (const [online, hot] of [
      [1, 1],
      [1, 0],
      [0, 0],
    ] as const) {
      const id = uniqueId("pi");
      added.push({ table: "edge_devices", id });
      await env.DB.prepare(
        `INSERT INTO edge_devices (device_id, first_seen, last_seen, online, over_temperature, models, updated_at)
         VALUES (?, ?, ?, ?, ?, '[]', ?)`,
      )
        .bind(id, now, now, online, hot, now)
        .run();
    }
    expect((await health()).body.edge_devices).toEqual({ online: 2, offline: 1, over_temperature: 1 });
  });
});
