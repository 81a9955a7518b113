/**
 * Seeded data for the console's browser test, all through the public API as curl would send it: bots and work
 * items, events, a heartbeat for a bot not registered yet (it retries into the dead letters), a model config
 * over a fake Ollama and a few inferences with feedback, a workflow, phone and Discord bindings, and an edge
 * device's telemetry over the long-poll channel.
 */
import { createHash } from "node:crypto";
import { mintToken } from "./botplane-server.ts";

export interface Api {
  (path: string, init?: { method?: string; body?: unknown; token?: string; contentType?: string }): Promise<unknown>;
}

/** fetch + JSON; anything but 2xx fails the test with the server's own error body. */
export function apiOf(origin: string, adminToken: string): Api {
  return async (path, init = {}) => {
    const body =
      init.body === undefined ? undefined : typeof init.body === "string" ? init.body : JSON.stringify(init.body);
    const method = init.method ?? (body === undefined ? "GET" : "POST");
    const res = await fetch(origin + path, {
      method,
      headers: {
        authorization: `Bearer ${init.token ?? adminToken}`,
        ...(body === undefined ? {} : { "content-type": init.contentType ?? "application/json" }),
      },
      body,
    });
    const text = await res.text();
    if (!res.ok) throw new Error(`${method} ${path}: ${res.status} ${text}`);
    return text ? (JSON.parse(text) as unknown) : null;
  };
}

export const LATE_INSTANCE = "console-late-bot";

function modelConfig(ollama: string): string {
  return `[providers.ollama]
type = "ollama"
url = "${ollama}"

[models.qwen-local]
provider = "ollama"
model = "qwen2.5:32b"

[functions.chat]
type = "chat"
variants = ["local"]

[functions.chat.variants.local]
model = "models.qwen-local"

[metrics.task_success]
type = "boolean"
level = "inference"
optimize = "max"
`;
}

function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}

/** Seeds every page; returns the poisoned heartbeat's event id (its dead letter arrives after the retries). */
export async function seed(api: Api, ollama: string): Promise<{ lateEventId: string; lateBotId: string }> {
  const bots: string[] = [];
  for (const [name, skill] of [
    ["crush-01", "tac_enabled"],
    ["crush-02", "basic"],
  ] as const) {
    const r = (await api("/v1/botz/register", {
      body: { botz_name: name, instance_id: `console-${name}`, skill_level: skill, runner_host: "ai-lab" },
    })) as { botz_id: string };
    bots.push(r.botz_id);
  }
  await api("/v1/workitems", {
    body: {
      items: [
        { title: "Scan library", integration_name: "jellyfin", priority: 5 },
        { title: "Rotate logs", required_skill_level: "tac_enabled", priority: 1 },
        { title: "Refresh metadata", integration_name: "jellyfin" },
      ],
    },
  });
  await api("/v1/workitems/claim", { body: { botz_id: bots[0] } });

  // A heartbeat for a bot that registers only later: "not ready" until its retries run out, then a dead letter.
  const lateBotId = botzIdFor(LATE_INSTANCE);
  const late = (await api("/api/v1/events", {
    body: { type: "botz.heartbeat.v1", source: "console-test", payload: { botz_id: lateBotId, status: "busy" } },
  })) as { event_id: string };
  for (let i = 0; i < 5; i++)
    await api("/api/v1/events", { body: { type: "game.round.v1", source: "balatro", payload: { round: i } } });

  await api("/api/v1/models/config", { method: "PUT", body: modelConfig(ollama), contentType: "text/plain" });
  for (let i = 0; i < 3; i++) {
    const inf = (await api("/inference", {
      body: { function_name: "chat", input: { messages: [{ role: "user", content: `hello ${i}` }] } },
    })) as { inference_id: string };
    for (let tries = 0; ; tries++) {
      try {
        await api("/feedback", {
          body: { metric_name: "task_success", inference_id: inf.inference_id, value: i !== 1 },
        });
        break;
      } catch (e) {
        if (tries > 20) throw e;
        await sleep(100); // the log row is written just after the answer
      }
    }
  }

  await api("/api/chainbot/workflows", {
    body: {
      name: "Smart Data Processing",
      description: "Process data with conditional logic",
      steps: [
        { id: "step1", type: "transform", output: { quality: "0.9" } },
        { id: "check", type: "condition", expression: "${step1.quality} > 0.8", true_steps: ["done"], false_steps: [] },
        { id: "done", type: "transform", output: { ok: "true" } },
      ],
    },
  });
  await api("/api/v1/chat/phone-bindings/%2B15550001111", {
    method: "PUT",
    body: { user_id: "alice", workspace_id: "ws-console", trust_mode: 1 },
  });
  await api("/api/v1/chat/discord-bindings/300000000000000042", {
    method: "PUT",
    body: { user_id: "alice", workspace_id: "ws-console" },
  });

  const device = await mintToken("pi-console", ["edge:device"]);
  const now = Date.now();
  const readings = Array.from({ length: 12 }, (_, i) => ({
    type: "telemetry",
    id: `console-${i}`,
    at: new Date(now - (12 - i) * 60_000).toISOString(),
    data: {
      cpu_temp_c: 55 + i * 2.5,
      load: null,
      memory: null,
      disk: null,
      uptime_s: 600 + i * 60,
      throttled: null,
      ollama: { reachable: true, models: ["qwen2.5:3b"], loaded: [] },
    },
  }));
  await api("/api/v1/edge/pi-console/poll?wait=0", {
    token: device,
    body: { messages: [{ type: "hello", device_id: "pi-console", agent_version: "0.1.0" }, ...readings] },
  });
  await api("/api/v1/edge/devices/pi-console/commands", { body: { name: "gpio.write", args: { pin: 18, value: 1 } } });
  return { lateEventId: late.event_id, lateBotId };
}

/** The id the registry will give an instance: UUIDv5 of instance_id in botplane's namespace (README, BoTZ). */
function botzIdFor(instanceId: string): string {
  const ns = "6f1c1a8e4d6b5d8e9c4a7b2f0e3d9a10";
  const hash = createHash("sha1")
    .update(Buffer.concat([Buffer.from(ns, "hex"), Buffer.from(instanceId)]))
    .digest()
    .subarray(0, 16);
  hash[6] = ((hash[6] ?? 0) & 0x0f) | 0x50;
  hash[8] = ((hash[8] ?? 0) & 0x3f) | 0x80;
  const hex = hash.toString("hex");
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}

export interface ChainbotSeed {
  /** Waits 3 s, then for an approval: the execution page watches it advance live and approves it. */
  shipWorkflowId: string;
  /** Waits for the event `go`: pause / resume / cancel and a sent event. */
  awaitWorkflowId: string;
  agentIds: string[];
  teamId: string;
}

/** ChainBot's pages: two more workflows, two agents, and a team of them with one broadcast. */
export async function seedChainbot(api: Api): Promise<ChainbotSeed> {
  const ship = (await api("/api/chainbot/workflows", {
    body: {
      name: "Ship order",
      description: "Price, hold, a human's approval, ship",
      steps: [
        { id: "price", type: "transform", output: { total: "${input.qty} * 5" } },
        { id: "hold", type: "wait", duration: 3 },
        { id: "ok", type: "wait", approval: { message: "Ship it?" }, timeout: 3600 },
        { id: "gate", type: "condition", expression: "${ok.approved}", true_steps: ["ship"], false_steps: [] },
        { id: "ship", type: "transform", output: { shipped: "${price.total}" } },
      ],
    },
  })) as { id: string };
  const wait = (await api("/api/chainbot/workflows", {
    body: {
      name: "Await go",
      steps: [
        { id: "w", type: "wait", event: "go", timeout: 3600 },
        { id: "t", type: "transform", output: { went: "${w.payload.n}" } },
      ],
    },
  })) as { id: string };
  const agentIds: string[] = [];
  for (const body of [
    { agent_type: "data_processor", config: { name: "ETL", processing_type: "validation", algorithms: ["required"] } },
    { agent_type: "workflow", config: { name: "Orchestrator" } },
  ]) {
    agentIds.push(((await api("/api/chainbot/agents", { body })) as { id: string }).id);
  }
  const team = (await api("/api/chainbot/entanglements", {
    body: { name: "Data Analysis Team", description: "ETL and its orchestrator", agent_ids: agentIds },
  })) as { id: string };
  await api(`/api/chainbot/entanglements/${team.id}/messages`, {
    body: { sender_id: agentIds[1], content: "Nightly run starts at 02:00", message_type: "notification" },
  });
  return { shipWorkflowId: ship.id, awaitWorkflowId: wait.id, agentIds, teamId: team.id };
}
