/**
 * ChainBot agents through the Worker entry: the seed's four types with their config (defaults filled,
 * unknown fields refused), exact limits under concurrent spawns (per type and in total), terminate, the
 * engine's idle-agent lookup, `chainbot.agent.*` events, and an api agent's credentials masked in answers,
 * audit rows and events. Each test starts with every agent terminated, so counts are its own.
 */
import { env } from "cloudflare:workers";
import { afterEach, beforeEach, describe, it } from "vitest";
import { claimIdleAgent, releaseAgent } from "../../durable-objects/agent-registry-client";
import { ADMIN, call, json, token } from "./helpers";

interface Agent {
  id: string;
  agent_type: string;
  name: string;
  config: Record<string, unknown>;
  status: string;
  created_by: string;
  terminated_at: string | null;
}
interface ErrorBody {
  error: { code: string; message: string; details: Record<string, unknown> };
}

const SECRET_TOKEN = "api-token-5c1f0e9b7a2d";

async function spawn(body: unknown, auth?: string): Promise<Response> {
  return call("/api/chainbot/agents", { body, token: auth ?? (await ADMIN()) });
}

async function spawned(body: unknown): Promise<Agent> {
  const res = await spawn(body);
  if (res.status !== 201) throw new Error(`spawn: ${res.status} ${await res.text()}`);
  return json<Agent>(res);
}

async function liveAgents(): Promise<Agent[]> {
  const out: Agent[] = [];
  for (const status of ["idle", "working"]) {
    let cursor = "";
    for (;;) {
      const res = await call(`/api/chainbot/agents?status=${status}&limit=200${cursor}`, { token: await ADMIN() });
      const page = await json<{ agents: Agent[]; next_cursor: string | null }>(res);
      out.push(...page.agents);
      if (page.next_cursor === null) break;
      cursor = `&cursor=${page.next_cursor}`;
    }
  }
  return out;
}

async function terminateAll(): Promise<void> {
  const auth = await ADMIN();
  for (const a of await liveAgents()) await call(`/api/chainbot/agents/${a.id}`, { method: "DELETE", token: auth });
}

async function setConfig(values: Record<string, unknown>): Promise<void> {
  const res = await call("/api/chainbot/config", { method: "PATCH", body: values, token: await ADMIN() });
  if (res.status !== 200) throw new Error(`config: ${res.status} ${await res.text()}`);
}

beforeEach(terminateAll);
afterEach(async () => {
  await setConfig({ "agents.max_instances_per_type": null, "agents.max_total_instances": null, "agents.types": null });
});

describe("POST /api/chainbot/agents", () => {
  it("should spawn each of the seed's four types idle, with the config's defaults filled in", async ({ expect }) => {
    const assistant = await spawned({
      agent_type: "assistant",
      config: { name: "My Assistant", personality: "helpful" },
    });
    expect(assistant).toMatchObject({
      agent_type: "assistant",
      name: "My Assistant",
      status: "idle",
      terminated_at: null,
    });
    expect(assistant.config).toEqual({
      name: "My Assistant",
      personality: "helpful",
      knowledge_base: [],
      response_style: "concise",
      function_name: "chat",
    });
    const processor = await spawned({
      agent_type: "data_processor",
      config: { name: "ETL", processing_type: "validation", algorithms: ["required", "format"] },
    });
    expect(processor.config).toEqual({
      name: "ETL",
      processing_type: "validation",
      algorithms: ["required", "format"],
      output_format: "json",
    });
    const api = await spawned({
      agent_type: "api",
      config: { name: "Fetcher", base_url: "https://api.example.com/v1" },
    });
    expect(api.config).toEqual({
      name: "Fetcher",
      base_url: "https://api.example.com/v1",
      auth: { type: "none" },
      timeout_seconds: 30,
    });
    const workflow = await spawned({
      agent_type: "workflow",
      config: { name: "Ops", monitoring_rules: [{ name: "slow", expression: "${execution.duration} > 60" }] },
    });
    expect(workflow.config).toEqual({
      name: "Ops",
      workflow_engine: "chainbot",
      workflow_ids: [],
      monitoring_rules: [{ name: "slow", expression: "${execution.duration} > 60", severity: "warning" }],
      alerting: { on_failure: true, channels: [] },
    });
    const got = await json<Agent>(await call(`/api/chainbot/agents/${api.id}`, { token: await ADMIN() }));
    expect(got).toEqual(api);
  });

  it("should answer 400 naming the field for a config typo, a bad URL or an unknown type", async ({ expect }) => {
    const cases: [unknown, string][] = [
      [{ agent_type: "assistant", config: { name: "a", personalty: "x" } }, "body.config"],
      [{ agent_type: "api", config: { name: "a", base_url: "ftp://x" } }, "body.config.base_url"],
      [{ agent_type: "robot", config: { name: "a" } }, "body.agent_type"],
      [{ agent_type: "assistant", config: {} }, "body.config.name"],
    ];
    for (const [body, field] of cases) {
      const res = await spawn(body);
      expect(res.status, JSON.stringify(body)).toBe(400);
      const err = await json<ErrorBody>(res);
      expect(err.error.code).toBe("invalid_input");
      expect(err.error.message, JSON.stringify(body)).toContain(field);
    }
  });

  it("should create exactly 10 of 12 concurrent spawns of one type and refuse 2 with 409", async ({ expect }) => {
    const auth = await ADMIN();
    const results = await Promise.all(
      Array.from({ length: 12 }, (_, i) =>
        spawn({ agent_type: "data_processor", config: { name: `dp-${i}` } }, auth).then(async (r) => ({
          status: r.status,
          body: await json<Agent & ErrorBody>(r),
        })),
      ),
    );
    expect(results.filter((r) => r.status === 201)).toHaveLength(10);
    const refused = results.filter((r) => r.status === 409);
    expect(refused).toHaveLength(2);
    for (const r of refused) {
      expect(r.body.error.code).toBe("agent_limit_reached");
      expect(r.body.error.details).toEqual({
        limit: "max_instances_per_type",
        value: 10,
        agent_type: "data_processor",
      });
    }
    // Other types still have room: the limit is per type.
    expect((await spawn({ agent_type: "assistant", config: { name: "other" } }, auth)).status).toBe(201);
  });

  it("should create exactly max_total_instances (50) of 60 concurrent spawns across types", async ({ expect }) => {
    await setConfig({ "agents.max_instances_per_type": 20 });
    const auth = await ADMIN();
    const types = ["assistant", "data_processor", "api", "workflow"];
    const configOf = (type: string, i: number) =>
      type === "api" ? { name: `t-${i}`, base_url: "https://api.example.com" } : { name: `t-${i}` };
    const statuses = await Promise.all(
      Array.from({ length: 60 }, async (_, i) => {
        const type = types[i % 4] ?? "assistant";
        const res = await spawn({ agent_type: type, config: configOf(type, i) }, auth);
        const body = await json<ErrorBody>(res);
        return res.status === 409 ? `409:${String(body.error.details.limit)}` : String(res.status);
      }),
    );
    expect(statuses.filter((s) => s === "201")).toHaveLength(50);
    expect(statuses.filter((s) => s === "409:max_total_instances")).toHaveLength(10);
    expect(await liveAgents()).toHaveLength(50);
  });

  it("should follow agents.types and a lowered limit from the runtime config", async ({ expect }) => {
    await setConfig({ "agents.types": ["assistant"], "agents.max_instances_per_type": 1 });
    const refusedType = await spawn({ agent_type: "workflow", config: { name: "w" } });
    expect(refusedType.status).toBe(409);
    expect((await json<ErrorBody>(refusedType)).error.code).toBe("agent_type_disabled");
    expect((await spawn({ agent_type: "assistant", config: { name: "a1" } })).status).toBe(201);
    const second = await spawn({ agent_type: "assistant", config: { name: "a2" } });
    expect(second.status).toBe(409);
    expect((await json<ErrorBody>(second)).error.details).toEqual({
      limit: "max_instances_per_type",
      value: 1,
      agent_type: "assistant",
    });
  });
});

describe("DELETE /api/chainbot/agents/{id}", () => {
  it("should terminate once, free the slot, and answer 409 then 404 for an unknown id", async ({ expect }) => {
    await setConfig({ "agents.max_instances_per_type": 1 });
    const auth = await ADMIN();
    const agent = await spawned({ agent_type: "assistant", config: { name: "short-lived" } });
    expect((await spawn({ agent_type: "assistant", config: { name: "no room" } })).status).toBe(409);
    const res = await call(`/api/chainbot/agents/${agent.id}`, { method: "DELETE", token: auth });
    expect(res.status).toBe(200);
    const done = await json<Agent>(res);
    expect(done.status).toBe("terminated");
    expect(done.terminated_at).not.toBeNull();
    const again = await call(`/api/chainbot/agents/${agent.id}`, { method: "DELETE", token: auth });
    expect(again.status).toBe(409);
    expect((await json<ErrorBody>(again)).error.code).toBe("agent_terminated");
    expect((await spawn({ agent_type: "assistant", config: { name: "room again" } })).status).toBe(201);
    const unknown = await call(`/api/chainbot/agents/${crypto.randomUUID()}`, { method: "DELETE", token: auth });
    expect(unknown.status).toBe(404);
    expect((await json<ErrorBody>(unknown)).error.code).toBe("agent_not_found");
  });

  it("should refuse a terminate without chainbot:agent:terminate and allow it with chainbot:admin", async ({
    expect,
  }) => {
    const agent = await spawned({ agent_type: "workflow", config: { name: "rbac" } });
    const spawner = await token(["chainbot:agent:spawn", "chainbot:read"]);
    const refused = await call(`/api/chainbot/agents/${agent.id}`, { method: "DELETE", token: spawner });
    expect(refused.status).toBe(403);
    const chainbotAdmin = await token(["chainbot:admin"]);
    expect((await call(`/api/chainbot/agents/${agent.id}`, { method: "DELETE", token: chainbotAdmin })).status).toBe(
      200,
    );
  });
});

describe("claimIdleAgent / releaseAgent", () => {
  it("should hand out each idle agent of a type once, mark it working, and make it idle on release", async ({
    expect,
  }) => {
    const a = await spawned({ agent_type: "data_processor", config: { name: "one" } });
    const b = await spawned({ agent_type: "data_processor", config: { name: "two" } });
    const first = await claimIdleAgent(env, "data_processor");
    const second = await claimIdleAgent(env, "data_processor");
    expect(new Set([first?.id, second?.id])).toEqual(new Set([a.id, b.id]));
    expect(first?.status).toBe("working");
    expect(await claimIdleAgent(env, "data_processor")).toBeNull();
    expect((await json<Agent>(await call(`/api/chainbot/agents/${a.id}`, { token: await ADMIN() }))).status).toBe(
      "working",
    );
    await releaseAgent(env, a.id);
    expect((await json<Agent>(await call(`/api/chainbot/agents/${a.id}`, { token: await ADMIN() }))).status).toBe(
      "idle",
    );
    expect((await claimIdleAgent(env, "data_processor"))?.id).toBe(a.id);
  });
});

describe("api agent credentials", () => {
  it("should mask the token in answers, audit rows and events, and keep it for the engine", async ({ expect }) => {
    const sub = `masker-${crypto.randomUUID()}`;
    const auth = await token(["chainbot:admin"], { sub });
    const res = await spawn(
      {
        agent_type: "api",
        config: {
          name: "Billing API",
          base_url: "https://svc:hunter2pass@billing.example.com/v1",
          auth: { type: "bearer", token: SECRET_TOKEN },
          rate_limit: { requests_per_minute: 60 },
        },
      },
      auth,
    );
    expect(res.status).toBe(201);
    const text = await res.text();
    expect(text).not.toContain(SECRET_TOKEN);
    expect(text).not.toContain("hunter2pass");
    const agent = JSON.parse(text) as Agent;
    expect(agent.config.auth).toEqual({ type: "bearer", token: "***" });
    expect(agent.config.base_url).toBe("https://svc:***@billing.example.com/v1");
    const listed = await (await call("/api/chainbot/agents?agent_type=api", { token: auth })).text();
    expect(listed).not.toContain(SECRET_TOKEN);

    const claimed = await claimIdleAgent(env, "api");
    expect(claimed?.config.auth).toEqual({ type: "bearer", token: SECRET_TOKEN });

    await call(`/api/chainbot/agents/${agent.id}`, { method: "DELETE", token: auth });
    const { results } = await env.DB.prepare(
      "SELECT action, resource, metadata, outcome FROM chainbot_audit WHERE user_id = ?",
    )
      .bind(sub)
      .all<{ action: string; resource: string; metadata: string; outcome: string }>();
    expect(results.map((r) => [r.action, r.resource, r.outcome]).sort()).toEqual([
      ["agent.spawn", "agents", "success"],
      ["agent.terminate", `agents/${agent.id}`, "success"],
    ]);
    expect(JSON.stringify(results)).not.toContain(SECRET_TOKEN);

    const read = await token(["events:read"]);
    const events = async () => {
      const h = await call("/api/v1/events?subject=chainbot.agent.>&limit=1000", { token: read });
      const body = await json<{ events: { type: string; payload: Record<string, unknown> }[] }>(h);
      return body.events.filter((e) => e.payload.agent_id === agent.id);
    };
    await expect.poll(async () => (await events()).length, { timeout: 10_000 }).toBe(2);
    const seen = await events();
    expect(seen.map((e) => e.type).sort()).toEqual(["chainbot.agent.spawned", "chainbot.agent.terminated"]);
    const spawnedEvent = seen.find((e) => e.type === "chainbot.agent.spawned");
    expect(spawnedEvent?.payload).toMatchObject({
      module_id: "chainbot",
      agent_id: agent.id,
      agent_type: "api",
      name: "Billing API",
      status: "idle",
    });
    expect(JSON.stringify(seen)).not.toContain(SECRET_TOKEN);
    expect(JSON.stringify(seen)).not.toContain("hunter2pass");
  });
});
