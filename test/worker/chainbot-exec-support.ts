/**
 * ChainBot execution test helpers: create a workflow, execute it, poll it to a status, count the calls an
 * api_call receiver got (the fake upstream's record), and point the gateway's `chat` function (what an
 * ephemeral agent_task calls) at the fake OpenAI upstream.
 */
import { env } from "cloudflare:workers";
import { call, json, token } from "./helpers";
import { useChatModel } from "./chat-support";

export const CB_ADMIN = () => token(["chainbot:admin"], { sub: "cb-exec-admin" });

/** POSTs a JSON body (default `{}`) as the ChainBot admin. */
export async function post(path: string, body?: unknown): Promise<Response> {
  return call(path, { body: body ?? {}, token: await CB_ADMIN() });
}

export interface StepView {
  key: string;
  step_id: string;
  type: string;
  status: string;
  attempts: number;
  output: unknown;
  error: { code: string; message: string } | null;
  duration_ms: number | null;
  started_at: string | null;
  finished_at: string | null;
  next_attempt_at: string | null;
}

export interface ExecutionBody {
  execution_id: string;
  workflow_id: string;
  status: string;
  output: Record<string, unknown> | null;
  error: { code: string; message: string } | null;
  steps_completed: number;
  total_steps: number;
  steps: StepView[];
}

export async function createWorkflow(def: unknown): Promise<string> {
  const res = await call("/api/chainbot/workflows", { body: def, token: await CB_ADMIN() });
  if (res.status !== 201) throw new Error(`create: ${res.status} ${await res.text()}`);
  return (await json<{ id: string }>(res)).id;
}

export async function execute(workflowId: string, input: Record<string, unknown> = {}): Promise<string> {
  const res = await call(`/api/chainbot/workflows/${workflowId}/execute`, {
    body: { input_data: input },
    token: await CB_ADMIN(),
  });
  if (res.status !== 202) throw new Error(`execute: ${res.status} ${await res.text()}`);
  return (await json<{ execution_id: string }>(res)).execution_id;
}

export async function getExecution(id: string): Promise<ExecutionBody> {
  const res = await call(`/api/chainbot/executions/${id}`, { token: await CB_ADMIN() });
  if (res.status !== 200) throw new Error(`get: ${res.status} ${await res.text()}`);
  return json<ExecutionBody>(res);
}

/** Polls until the execution satisfies `done` (default: a terminal status); throws with the last view. */
export async function waitFor(
  id: string,
  done: (e: ExecutionBody) => boolean = (e) => ["completed", "failed", "cancelled"].includes(e.status),
  timeoutMs = 15_000,
): Promise<ExecutionBody> {
  const start = Date.now();
  let last = await getExecution(id);
  while (!done(last)) {
    if (Date.now() - start > timeoutMs) throw new Error(`timed out waiting; last: ${JSON.stringify(last)}`);
    await new Promise((r) => setTimeout(r, 40));
    last = await getExecution(id);
  }
  return last;
}

export function step(e: ExecutionBody, key: string): StepView {
  const s = e.steps.find((x) => x.key === key);
  if (!s) throw new Error(`no step ${key} in ${JSON.stringify(e.steps.map((x) => x.key))}`);
  return s;
}

export const upstream = (path: string) => `${env.TEST_FAKE_UPSTREAMS_URL}/chainbot/${path}`;

export interface Recorded {
  path: string;
  method: string;
  headers: Record<string, string>;
  body: unknown;
}

/** Every call the fake receiver got on paths starting with `/chainbot/<prefix>`. */
export async function received(prefix: string): Promise<Recorded[]> {
  const res = await fetch(`${env.TEST_FAKE_UPSTREAMS_URL}/_requests?path=${encodeURIComponent(`/chainbot/${prefix}`)}`);
  return res.json<Recorded[]>();
}

let tagSeq = 0;
/** A unique path segment, so tests sharing the fake's counters never collide. */
export function tag(prefix: string): string {
  tagSeq += 1;
  return `${prefix}-${Date.now().toString(36)}-${tagSeq}`;
}

/** The gateway's `chat` function answers from the fake OpenAI upstream (an echo of the user turn). */
export function useAgentModel(): Promise<void> {
  return useChatModel("fake-echo~chainbot");
}
