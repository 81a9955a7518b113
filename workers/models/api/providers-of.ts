/**
 * The configured providers (with budgets) for the gauges, and the `/health` check that says whether every
 * configured function still has a variant whose provider can answer.
 */
import { breakerBoard } from "../../platform/breaker/board";
import type { Env } from "../../platform/env";
import { loadGatewayConfig } from "../config/source";
import type { GatewayConfig, ProviderConfig } from "../config/types";
import { breakerComponent, providerHealth, type ProviderHealth, type ProviderInfo } from "../router";

export async function configuredProviders(env: Env): Promise<ProviderInfo[]> {
  const { config } = await loadGatewayConfig(env);
  return [...config.providers.values()].filter((p) => p.enabled).map((p) => ({ name: p.name, budget: p.budget }));
}

/** A Worker cannot reach the Docker host: an ollama URL there fails on every call until an edge device is set. */
function unreachableReason(p: ProviderConfig): string | undefined {
  if (p.type !== "ollama" || p.transport !== "direct" || p.url === undefined) return undefined;
  try {
    const url = new URL(p.url);
    return url.hostname === "host.docker.internal"
      ? `${url.host} is unreachable from a Worker (set OLLAMA_EDGE_DEVICE or url = "edge:<device-id>")`
      : undefined;
  } catch {
    return `url '${p.url}' is not a URL`;
  }
}

/** Why a provider cannot answer now, or null when it can. */
function cannotAnswer(
  config: GatewayConfig,
  name: string,
  local: ReadonlyMap<string, ProviderHealth>,
  openOnBoard: ReadonlySet<string>,
): string | null {
  const p = config.providers.get(name);
  if (!p) return "not configured";
  if (!p.enabled) return p.disabledReason ?? "disabled";
  const unreachable = unreachableReason(p);
  if (unreachable) return unreachable;
  const health = local.get(name);
  if (health && health.state !== "ok") return health.reason ?? health.state;
  if (openOnBoard.has(breakerComponent(name))) return "circuit breaker open";
  return null;
}

/** Components whose breaker is open in any isolate (the BreakerBoard's view); none when the board is down. */
async function openBreakers(env: Env): Promise<Set<string>> {
  try {
    const states = await breakerBoard(env).states();
    return new Set(states.filter((s) => s.state === "open").map((s) => s.component));
  } catch {
    return new Set();
  }
}

/**
 * /health: fails (→ "degraded", 503) when some configured function has no variant whose provider can answer
 * — disabled, unreachable, misconfigured, exhausted or breaker open — naming each such function and why each
 * of its variants cannot answer. One provider down while another still answers a function is not degraded.
 */
export async function providersHealthCheck(env: Env): Promise<void> {
  const { config } = await loadGatewayConfig(env);
  const enabled = [...config.providers.values()].filter((p) => p.enabled);
  const local = new Map(
    providerHealth(
      enabled.map((p) => ({ name: p.name, budget: p.budget })),
      env,
    ).map((h) => [h.provider, h]),
  );
  const openOnBoard = await openBreakers(env);
  const stuck: string[] = [];
  for (const fn of config.functions.values()) {
    if (fn.variants.length === 0) continue;
    const reasons = fn.variants.map((v) => {
      const why = cannotAnswer(config, v.provider, local, openOnBoard);
      return why === null ? null : `${v.name}: ${v.provider}: ${why}`;
    });
    if (reasons.every((r) => r !== null)) stuck.push(`function '${fn.name}' (${reasons.join("; ")})`);
  }
  if (stuck.length) throw new Error(`no provider can answer ${stuck.join("; ")}`);
}
