/**
 * The `api_call` step: renders url, headers and body from the execution's data, reads `${secret.NAME}` (or
 * the seed's bare `${api_token}`) from Worker secrets the operator listed in CHAINBOT_SECRET_NAMES, calls
 * with `Idempotency-Key: <execution>:<step>:<attempt>` so a receiver can drop the repeat of an attempt that
 * was in flight when the object was evicted, and returns status, content type and body. Secret values are
 * replaced by `***` in everything the step returns or reports (output, errors), so they never reach the
 * execution view, events or audit rows.
 */
import type { Env } from "../../platform/env";
import { MASK } from "../audit/mask";
import type { Json } from "../expressions/cel-values";
import { scanReferences } from "../expressions/references";
import { renderTemplate, renderValue } from "../expressions/templates";
import type { Step } from "../workflows/definition-schema";
import type { LeafCall } from "./control";
import { ExecError } from "./step-errors";

const MAX_RESPONSE_CHARS = 1_000_000;
const DATA_ROOTS = new Set(["input", "item", "index"]);

/** The names of Worker secrets an api_call may read. */
export function allowedSecrets(env: Env): Set<string> {
  const raw = (env as unknown as Record<string, unknown>).CHAINBOT_SECRET_NAMES;
  const names = typeof raw === "string" ? raw.split(",").map((n) => n.trim()) : [];
  return new Set(names.filter((n) => n !== ""));
}

/** Every string of the step that is rendered: where secrets may be named. */
function templatesOf(step: Extract<Step, { type: "api_call" }>): string[] {
  const out: string[] = [step.url, ...Object.values(step.headers ?? {})];
  const walk = (v: Json | undefined): void => {
    if (typeof v === "string") out.push(v);
    else if (Array.isArray(v)) v.forEach(walk);
    else if (v !== null && typeof v === "object") Object.values(v).forEach(walk);
  };
  walk(step.body);
  return out;
}

/** The secrets the step names, read from the env; a name not allowed or not set fails the step at once. */
function secretsFor(env: Env, step: Extract<Step, { type: "api_call" }>, vars: Readonly<Record<string, unknown>>) {
  const allowed = allowedSecrets(env);
  const values: Record<string, string> = {};
  const bare: Record<string, string> = {};
  for (const text of templatesOf(step)) {
    const scanned = scanReferences(text);
    if (!scanned.ok) throw new ExecError("template_error", scanned.message, false);
    for (const ref of scanned.refs) {
      const isSecret = ref.root === "secret";
      // The seed writes `${api_token}`: a bare name that is no step, input or loop variable is a secret.
      const isBare = !isSecret && !DATA_ROOTS.has(ref.root) && !Object.hasOwn(vars, ref.root);
      if (!isSecret && !isBare) continue;
      const name = isSecret ? String(ref.path[0] ?? "") : ref.root;
      const value = (env as unknown as Record<string, unknown>)[name];
      if (!allowed.has(name) || typeof value !== "string" || value === "")
        throw new ExecError(
          "secret_not_found",
          `secret '${name}' is not set or not listed in CHAINBOT_SECRET_NAMES`,
          false,
        );
      if (isSecret) values[name] = value;
      else bare[name] = value;
    }
  }
  return { context: { ...vars, ...bare, secret: values }, used: [...Object.values(values), ...Object.values(bare)] };
}

export function masker(secrets: string[]): (text: string) => string {
  const list = secrets.filter((s) => s.length > 0).sort((a, b) => b.length - a.length);
  return (text) => list.reduce((t, s) => t.split(s).join(MASK), text);
}

function rendered(template: string, context: Record<string, unknown>, field: string): string {
  const r = renderTemplate(template, context);
  if (!r.ok) throw new ExecError("template_error", `${field}: ${r.message}`, false);
  return typeof r.value === "string" ? r.value : JSON.stringify(r.value);
}

export async function runApiCall(env: Env, step: Extract<Step, { type: "api_call" }>, at: LeafCall): Promise<unknown> {
  const { context, used } = secretsFor(env, step, at.vars);
  const mask = masker(used);
  const url = rendered(step.url, context, "url");
  if (!/^https?:\/\//i.test(url)) throw new ExecError("invalid_url", `url '${mask(url)}' is not http(s)`, false);
  const headers = new Headers();
  for (const [name, value] of Object.entries(step.headers ?? {})) headers.set(name, rendered(value, context, name));
  headers.set("idempotency-key", `${at.executionId}:${at.key}:${at.attempt}`);
  let body: string | undefined;
  if (step.body !== undefined && step.method !== "GET" && step.method !== "HEAD") {
    const r = renderValue(step.body, context);
    if (!r.ok) throw new ExecError("template_error", `body: ${r.message}`, false);
    body = typeof r.value === "string" ? r.value : JSON.stringify(r.value);
    if (!headers.has("content-type") && typeof r.value !== "string") headers.set("content-type", "application/json");
  }
  let res: Response;
  try {
    res = await fetch(url, { method: step.method, headers, body, signal: at.signal });
  } catch (err) {
    if (at.signal.aborted) throw at.signal.reason;
    throw new ExecError("network_error", mask(err instanceof Error ? err.message : String(err)));
  }
  const text = mask((await res.text()).slice(0, MAX_RESPONSE_CHARS));
  const type = res.headers.get("content-type") ?? "";
  let parsed: unknown = text;
  if (type.includes("json")) {
    try {
      parsed = JSON.parse(text);
    } catch {
      parsed = text;
    }
  }
  if (!res.ok) {
    // Another attempt can help only when the receiver was busy or broken, not when it refused the request.
    const retryable = res.status >= 500 || res.status === 408 || res.status === 429;
    throw new ExecError(
      `http_${res.status}`,
      `${step.method} ${mask(url)} answered ${res.status}: ${text.slice(0, 300)}`,
      retryable,
    );
  }
  return { status: res.status, content_type: type || null, body: parsed };
}
