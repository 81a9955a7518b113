/**
 * ChainBot metrics through the Worker's entry: `GET /api/chainbot/metrics` in the seed's shape with exact
 * counts (executions from the D1 index the execution objects keep, agents from the registry), the system
 * figures from edge device telemetry (null with a reason without any), the `chainbot_*` /metrics gauges,
 * and `GET /api/chainbot/executions` across workflows with its filters and cursor.
 */
import { env } from "cloudflare:workers";
import { afterEach, describe, it } from "vitest";
import { ADMIN, call, json, token, uniqueId } from "./helpers";
import { createWorkflow, execute, upstream, waitFor } from "./chainbot-exec-support";

interface Metrics {
  workflows: Record<string, number>;
  agents: Record<string, number>;
  system: {
    cpu_usage: number | null;
    memory_usage: number | null;
    disk_usage: number | null;
    devices: number;
    reason?: string;
  };
}

interface IndexPage {
  executions: { execution_id: string; workflow_id: string; status: string; finished_at: string | null }[];
  next_cursor: string | null;
}

async function metrics(): Promise<Metrics> {
  const res = await call("/api/chainbot/metrics", { token: await token(["chainbot:read"]) });
  if (res.status !== 200) throw new Error(`metrics: ${res.status} ${await res.text()}`);
  return json<Metrics>(res);
}

async function spawn(name: string): Promise<string> {
  const res = await call("/api/chainbot/agents", {
    body: { agent_type: "assistant", config: { name, personality: "helpful" } },
    token: await ADMIN(),
  });
  if (res.status !== 201) throw new Error(`spawn: ${res.status} ${await res.text()}`);
  return (await json<{ id: string }>(res)).id;
}

const devices: string[] = [];

async function device(online: boolean, data: Record<string, unknown>): Promise<void> {
  const id = uniqueId("pi");
  devices.push(id);
  const now = Date.now();
  await env.DB.prepare(
    `INSERT INTO edge_devices (device_id, first_seen, last_seen, agent_version, online, telemetry, over_temperature,
       models, updated_at) VALUES (?, ?, ?, '1.0.0', ?, ?, 0, '[]', ?)`,
  )
    .bind(id, now, now, online ? 1 : 0, JSON.stringify({ id: "r1", at: now, data }), now)
    .run();
}

afterEach(async () => {
  for (const id of devices.splice(0))
    await env.DB.prepare("DELETE FROM edge_devices WHERE device_id = ?").bind(id).run();
});

describe("GET /api/chainbot/metrics", () => {
  it("should count workflows, executions by outcome and agents exactly", async ({ expect }) => {
    const before = await metrics();
    const ok = await createWorkflow({ name: "m-ok", steps: [{ id: "a", type: "transform", output: "1" }] });
    const bad = await createWorkflow({
      name: "m-bad",
      steps: [{ id: "get", type: "api_call", url: upstream(`status/404/${uniqueId("m")}`) }],
    });
    for (const id of [await execute(ok), await execute(ok), await execute(bad)]) await waitFor(id);
    const agent = await spawn("Counter");
    try {
      const after = await metrics();
      expect(Object.keys(after).sort()).toEqual(["agents", "system", "workflows"]);
      expect(after.workflows).toEqual({
        ...before.workflows,
        total: (before.workflows.total ?? 0) + 2,
        completed: (before.workflows.completed ?? 0) + 2,
        failed: (before.workflows.failed ?? 0) + 1,
      });
      expect(after.agents).toEqual({
        ...before.agents,
        total: (before.agents.total ?? 0) + 1,
        idle: (before.agents.idle ?? 0) + 1,
      });
    } finally {
      await call(`/api/chainbot/agents/${agent}`, { method: "DELETE", token: await ADMIN() });
    }
  });

  it("should answer null system figures with the reason when no edge device reports", async ({ expect }) => {
    await device(false, { memory: { total_bytes: 100, available_bytes: 50 }, disk: null });
    expect((await metrics()).system).toEqual({
      cpu_usage: null,
      memory_usage: null,
      disk_usage: null,
      devices: 0,
      reason: "no online edge device has reported telemetry",
    });
  });

  it("should average memory and disk use over the online devices' latest telemetry", async ({ expect }) => {
    await device(true, {
      memory: { total_bytes: 1_000, available_bytes: 250 },
      disk: { total_bytes: 2_000, free_bytes: 1_500 },
    });
    await device(true, { memory: { total_bytes: 1_000, available_bytes: 450 }, disk: null });
    await device(false, { memory: { total_bytes: 1_000, available_bytes: 0 }, disk: null });
    expect((await metrics()).system).toEqual({
      cpu_usage: null,
      memory_usage: 65,
      disk_usage: 25,
      devices: 2,
      reason: "cpu_usage: no online device reports it",
    });
  });

  it("should take CPU use as the 1-minute load per core from devices that send their core count", async ({
    expect,
  }) => {
    await device(true, { load: { one: 1, five: 1, fifteen: 1 }, cpu_count: 4, memory: null, disk: null });
    await device(true, { load: { one: 6, five: 5, fifteen: 4 }, cpu_count: 4, memory: null, disk: null });
    await device(true, { load: { one: 2, five: 2, fifteen: 2 }, memory: null, disk: null });
    expect((await metrics()).system).toMatchObject({ cpu_usage: 62.5, devices: 3 });
  });

  it("should expose the same numbers as chainbot_* gauges on /metrics", async ({ expect }) => {
    const m = await metrics();
    const res = await call("/metrics", { token: await ADMIN() });
    expect(res.status).toBe(200);
    const text = await res.text();
    expect(text).toContain("# TYPE chainbot_executions gauge");
    expect(text).toContain(`chainbot_workflows ${m.workflows.total ?? -1}\n`);
    expect(text).toContain(`chainbot_executions{status="completed"} ${m.workflows.completed ?? -1}\n`);
    expect(text).toContain(`chainbot_executions{status="failed"} ${m.workflows.failed ?? -1}\n`);
    expect(text).toContain(`chainbot_agents{status="idle"} ${m.agents.idle ?? -1}\n`);
  });
});

describe("GET /api/chainbot/executions", () => {
  it("should list executions across workflows newest first, filtered by status and workflow, page by page", async ({
    expect,
  }) => {
    const a = await createWorkflow({ name: "l-a", steps: [{ id: "a", type: "transform", output: "1" }] });
    const b = await createWorkflow({
      name: "l-b",
      steps: [{ id: "get", type: "api_call", url: upstream(`status/404/${uniqueId("l")}`) }],
    });
    const a1 = await execute(a);
    await waitFor(a1);
    const b1 = await execute(b);
    await waitFor(b1);
    const a2 = await execute(a);
    await waitFor(a2);
    const auth = await token(["chainbot:read"]);
    const page = async (q: string) => {
      const res = await call(`/api/chainbot/executions?${q}`, { token: auth });
      expect(res.status).toBe(200);
      return json<IndexPage>(res);
    };
    const ofA = await page(`workflow_id=${a}`);
    expect(ofA.executions.map((e) => e.execution_id)).toEqual([a2, a1]);
    expect(ofA.executions.map((e) => e.status)).toEqual(["completed", "completed"]);
    expect(ofA.executions[0]?.finished_at).not.toBeNull();
    const failedOfB = await page(`workflow_id=${b}&status=failed`);
    expect(failedOfB.executions.map((e) => e.execution_id)).toEqual([b1]);
    expect((await page(`workflow_id=${b}&status=completed`)).executions).toEqual([]);
    const first = await page("limit=2");
    expect(first.executions.map((e) => e.execution_id)).toEqual([a2, b1]);
    expect(first.next_cursor).not.toBeNull();
    const second = await page(`limit=2&cursor=${first.next_cursor ?? ""}`);
    expect(second.executions[0]?.execution_id).toBe(a1);
  });

  it("should refuse a cursor it did not hand out and an unknown status with 400", async ({ expect }) => {
    const auth = await token(["chainbot:read"]);
    const bad = await call("/api/chainbot/executions?cursor=nope", { token: auth });
    expect(bad.status).toBe(400);
    expect((await json<{ error: { code: string } }>(bad)).error.code).toBe("invalid_input");
    const status = await call("/api/chainbot/executions?status=sleeping", { token: auth });
    expect(status.status).toBe(400);
  });
});
