/**
 * TOML text + the Worker env → a resolved GatewayConfig, or the issues naming each bad key. Steps: parse
 * (accepting the seed's `variants = [...]`), note unknown blocks and keys as warnings, interpolate
 * `${env.NAME}`, check types (zod), then resolve names, tiers and defaults. Results are memoised per text
 * and per value of the variables it references, so the hot path does not re-parse.
 */
import type { z } from "zod";
import { envValue, interpolate, referencedNames, type EnvVars } from "./interpolate";
import { resolveFunction, type Catalog } from "./resolve-functions";
import { resolveProvider } from "./resolve-providers";
import { gatewayTomlSchema, unknownKeys, VARIANT_LIST_KEY, type GatewayToml } from "./schema";
import { parseGatewayToml } from "./toml-text";
import type {
  ConfigIssue,
  FunctionConfig,
  GatewayConfig,
  MetricConfig,
  ModelConfig,
  ParseResult,
  ProviderConfig,
} from "./types";

function fieldOf(path: readonly PropertyKey[]): string {
  return path.map((k) => (k === VARIANT_LIST_KEY ? "variants" : String(k))).join(".") || "(root)";
}

function warningsFor(tree: Record<string, unknown>): string[] {
  const known = new Set(Object.keys(gatewayTomlSchema.shape));
  const blocks = Object.entries(tree)
    .filter(([k]) => !known.has(k))
    .map(([k, v]) => {
      const keys = v !== null && typeof v === "object" && !Array.isArray(v) ? ` (${Object.keys(v).join(", ")})` : "";
      return `${k}: block not used by botplane${keys}; ignored`;
    });
  const keys = unknownKeys(gatewayTomlSchema, tree)
    .filter((path) => known.has(path.split(".")[0] ?? ""))
    .map((path) => `${path}: key not used by botplane; ignored`);
  return [...blocks, ...keys];
}

function urlTemplate(tree: Record<string, unknown>, name: string): string | undefined {
  const providers = tree.providers as Record<string, Record<string, unknown> | undefined> | undefined;
  const url = providers?.[name]?.url;
  return typeof url === "string" ? url : undefined;
}

function zodIssues(error: z.ZodError): ConfigIssue[] {
  return error.issues.map((i) => ({ field: fieldOf(i.path), message: i.message }));
}

function modelsOf(
  raw: GatewayToml["models"],
  block: string,
  providers: ReadonlyMap<string, ProviderConfig>,
  issues: ConfigIssue[],
): Map<string, ModelConfig> {
  const out = new Map<string, ModelConfig>();
  for (const [name, m] of Object.entries(raw ?? {})) {
    if (!providers.has(m.provider))
      issues.push({ field: `${block}.${name}.provider`, message: `unknown provider '${m.provider}'` });
    const prices = m.prices
      ? { inputPerMillion: m.prices.input_per_million, outputPerMillion: m.prices.output_per_million }
      : undefined;
    out.set(name, { name, provider: m.provider, model: m.model, prices, contextWindow: m.context_window });
  }
  return out;
}

function resolveAll(tree: Record<string, unknown>, env: EnvVars): ParseResult {
  const warnings = warningsFor(tree);
  const { value, misses } = interpolate(tree, env);
  // Outside [providers] an unset variable is an error; it is reported rather than the type error it causes.
  const issues: ConfigIssue[] = misses
    .filter((m) => m.path[0] !== "providers")
    .map((m) => ({ field: fieldOf(m.path), message: `${m.name} is not set` }));
  const parsed = gatewayTomlSchema.safeParse(value);
  if (!parsed.success) {
    const unset = new Set(issues.map((i) => i.field));
    return failure([...issues, ...zodIssues(parsed.error).filter((i) => !unset.has(i.field))]);
  }
  const raw = parsed.data;

  const providers = new Map<string, ProviderConfig>();
  for (const [name, p] of Object.entries(raw.providers ?? {}))
    providers.set(name, resolveProvider(name, p, urlTemplate(tree, name), misses, env, issues, warnings));
  const catalog: Catalog = {
    providers,
    models: modelsOf(raw.models, "models", providers, issues),
    embeddingModels: modelsOf(raw.embedding_models, "embedding_models", providers, issues),
  };
  const functions = new Map<string, FunctionConfig>();
  for (const [name, fn] of Object.entries(raw.functions ?? {}))
    functions.set(name, resolveFunction(name, fn, catalog, issues, warnings));
  const metrics = new Map<string, MetricConfig>();
  for (const [name, m] of Object.entries(raw.metrics ?? {}))
    metrics.set(name, { name, type: m.type, level: m.level, optimize: m.optimize ?? "max" });

  if (issues.length > 0) return failure(issues);
  const config: GatewayConfig = { ...catalog, functions, metrics, warnings };
  return { ok: true, config };
}

function failure(issues: ConfigIssue[]): ParseResult {
  const first = issues[0];
  return { ok: false, error: first ? `${first.field}: ${first.message}` : "invalid config", issues };
}

/** Parses, validates and resolves a gateway config against the env's variables. Never throws. */
export function parseGatewayConfig(text: string, env: EnvVars): ParseResult {
  const toml = parseGatewayToml(text);
  if (!toml.ok) return failure([{ field: "toml", message: toml.message }]);
  return resolveAll(toml.value, env);
}

interface Memo {
  names: string[];
  fingerprint: string;
  result: ParseResult;
}

const MEMO_SIZE = 8;
const memo = new Map<string, Memo>();

/** What else a resolution depends on besides the text: the referenced variables, the edge device, the AI binding. */
function fingerprint(names: readonly string[], env: EnvVars): string {
  return JSON.stringify([names.map((n) => envValue(env, n) ?? null), env.AI !== undefined && env.AI !== null]);
}

/** `parseGatewayConfig`, memoised: the same text with the same variables resolves once per isolate. */
export function parseGatewayConfigCached(text: string, env: EnvVars): ParseResult {
  const hit = memo.get(text);
  if (hit && hit.fingerprint === fingerprint(hit.names, env)) return hit.result;
  const names = [...referencedNames(text), "OLLAMA_EDGE_DEVICE"];
  const result = parseGatewayConfig(text, env);
  memo.delete(text);
  memo.set(text, { names, fingerprint: fingerprint(names, env), result });
  while (memo.size > MEMO_SIZE) {
    const oldest = memo.keys().next();
    if (oldest.done) break;
    memo.delete(oldest.value);
  }
  return result;
}
