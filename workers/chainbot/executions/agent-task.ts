/**
 * The `agent_task` step. It runs on a spawned agent — the one `agent_id` names, or an idle one of
 * `agent_type` taken from the AgentRegistry (the agent is `working` until the step's call ends) — or, when
 * no agent of that type is idle, on an ephemeral one. Assistant, data processor and workflow agents are one
 * model-gateway call (caller `chainbot`) with the agent's own prompt (personality, processing type, rules;
 * an ephemeral agent has its type's role only) and the task, the step's config and the execution input as
 * the user turn; the answer's JSON object is the step's output (so `${step1.quality_score}` reads a field the
 * model returned), an answer without one is `{result: text}`. An api agent POSTs the task to its base URL
 * with its credentials and the step's idempotency key, and the JSON it answers is the output.
 */
import { agentRegistry } from "../../../durable-objects/agent-registry-client";
import type { Agent } from "../../../durable-objects/agent-registry-model";
import type { Env } from "../../platform/env";
import type { GatewayModel } from "../../platform/model-port";
import { maskString } from "../audit/mask";
import { agentFunction, AGENT_ROLES, agentSystemPrompt } from "../agents/prompts";
import { ApiConfigSchema } from "../agents/schemas";
import { renderValue } from "../expressions/templates";
import type { Step } from "../workflows/definition-schema";
import type { LeafCall } from "./control";
import { ExecError } from "./step-errors";

/** The last JSON object in the text (models often wrap the answer in prose), or null. */
export function lastJsonObject(text: string): Record<string, unknown> | null {
  for (let start = text.lastIndexOf("{"); start >= 0; start = text.lastIndexOf("{", start - 1)) {
    for (let end = text.lastIndexOf("}"); end > start; end = text.lastIndexOf("}", end - 1)) {
      try {
        const value: unknown = JSON.parse(text.slice(start, end + 1));
        if (value !== null && typeof value === "object" && !Array.isArray(value))
          return value as Record<string, unknown>;
      } catch {
        // not this span: try a shorter one
      }
    }
    if (start === 0) break;
  }
  return null;
}

function statusOf(err: unknown): number | undefined {
  const s = (err as { status?: unknown } | null)?.status;
  return typeof s === "number" ? s : undefined;
}

interface Task {
  task: string;
  config: Record<string, unknown>;
  input: Record<string, unknown>;
}

/** The agent the step names (404/terminated: the step fails), an idle one of its type, or null (ephemeral). */
async function takeAgent(env: Env, step: Extract<Step, { type: "agent_task" }>): Promise<Agent | null> {
  const registry = agentRegistry(env);
  if (step.agent_id !== undefined) {
    const begun = await registry.beginWork(step.agent_id).catch((err: unknown) => ({
      ok: false as const,
      message: err instanceof Error ? err.message : String(err),
    }));
    if (!begun.ok) throw new ExecError("agent_unavailable", `agent '${step.agent_id}': ${begun.message}`, false);
    return begun.agent;
  }
  return registry.claimIdle(step.agent_type ?? "assistant");
}

async function askModel(env: Env, model: GatewayModel, at: LeafCall, fn: string, system: string, t: Task) {
  const user = `Task: ${t.task}\nConfig: ${JSON.stringify(t.config)}\nInput: ${JSON.stringify(t.input)}`;
  let reply;
  try {
    reply = await model.complete(
      env,
      { waitUntil: (w) => at.waitUntil(w) },
      {
        functionName: fn,
        system: `${system}\nDo the task and answer with one JSON object holding your results.`,
        messages: [{ role: "user", content: [{ type: "text", text: user }] }],
        workspace: "chainbot",
        caller: "chainbot",
      },
    );
  } catch (err) {
    const status = statusOf(err);
    const message = err instanceof Error ? err.message : String(err);
    // The gateway refusing the call (bad config, unknown function) will refuse it again; 429 and 5xx may pass.
    if (status !== undefined && status < 500 && status !== 429 && status !== 408)
      throw new ExecError("agent_refused", message, false);
    throw new ExecError("agent_error", message);
  }
  const text = reply.content.flatMap((b) => (b.type === "text" ? [b.text] : [])).join("");
  return lastJsonObject(text) ?? { result: text };
}

function authHeaders(auth: ReturnType<typeof ApiConfigSchema.parse>["auth"]): Record<string, string> {
  if (auth.type === "bearer") return { authorization: `Bearer ${auth.token}` };
  if (auth.type === "api_key") return { [auth.header]: auth.api_key };
  if (auth.type === "basic") return { authorization: `Basic ${btoa(`${auth.username}:${auth.password}`)}` };
  return {};
}

/** An api agent's task: POSTed as JSON to its base URL; a 4xx fails the step, a 5xx or no answer is retried. */
async function askApi(agent: Agent, at: LeafCall, t: Task): Promise<unknown> {
  const config = ApiConfigSchema.safeParse(agent.config);
  if (!config.success) throw new ExecError("agent_unavailable", `agent '${agent.id}' has no usable api config`, false);
  const { base_url: url, auth, timeout_seconds: timeout } = config.data;
  let res: Response;
  try {
    res = await fetch(url, {
      method: "POST",
      headers: {
        "content-type": "application/json",
        "idempotency-key": `${at.executionId}:${at.key}:${at.attempt}`,
        ...authHeaders(auth),
      },
      body: JSON.stringify({ task: t.task, input: t.input, config: t.config }),
      signal: AbortSignal.any([at.signal, AbortSignal.timeout(timeout * 1000)]),
    });
  } catch (err) {
    throw new ExecError("agent_error", maskString(`agent '${agent.name}' unreachable: ${String(err)}`));
  }
  const body = await res.text();
  if (!res.ok)
    throw new ExecError("agent_error", maskString(`agent '${agent.name}' answered ${res.status}`), res.status >= 500);
  try {
    return JSON.parse(body) as unknown;
  } catch {
    return { result: body };
  }
}

export async function runAgentTask(
  env: Env,
  model: GatewayModel,
  step: Extract<Step, { type: "agent_task" }>,
  at: LeafCall,
): Promise<unknown> {
  const rendered = renderValue(
    { task: step.task ?? null, prompt: step.prompt ?? null, config: step.config ?? {} },
    at.vars,
  );
  if (!rendered.ok) throw new ExecError("template_error", rendered.message, false);
  const r = rendered.value as { task: string | null; prompt: string | null; config: Record<string, unknown> };
  const t: Task = {
    task: [r.task, r.prompt].filter((x): x is string => typeof x === "string").join("\n\n"),
    config: r.config,
    input: (at.vars.input ?? {}) as Record<string, unknown>,
  };
  const agent = await takeAgent(env, step);
  if (agent === null) {
    const role = AGENT_ROLES[step.agent_type ?? "assistant"] ?? AGENT_ROLES.assistant ?? "";
    const fn = typeof r.config.function === "string" ? r.config.function : "chat";
    return askModel(env, model, at, fn, role, t);
  }
  let outcome: "ok" | "error" = "error";
  try {
    const output =
      agent.agent_type === "api"
        ? await askApi(agent, at, t)
        : await askModel(env, model, at, agentFunction(agent), agentSystemPrompt(agent), t);
    outcome = "ok";
    return output;
  } finally {
    await agentRegistry(env).endWork(agent.id, outcome);
  }
}
