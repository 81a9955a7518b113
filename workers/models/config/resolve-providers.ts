/**
 * `[providers.X]` → ProviderConfig: tier, transport and whether it can be used at all. A provider missing a
 * credential is disabled with the reason (/health lists it, routing skips it), never a config error: the
 * seed lists every provider and most deployments set keys for only some. Ollama at `host.docker.internal`
 * (or localhost) is unreachable from a Worker: with `OLLAMA_EDGE_DEVICE` set it is rerouted to that device's
 * EdgeHub; without it the URL stays as written, fails at runtime and the router falls through to the next tier.
 */
import { envValue, type EnvVars, type Miss } from "./interpolate";
import { inferTier } from "./defaults";
import type { ProviderToml } from "./schema";
import type { ConfigIssue, ProviderConfig, Transport } from "./types";

const EDGE_PREFIX = "edge:";
/** Hosts that mean "the machine the gateway runs on" in a Docker setup: a Worker cannot reach them. */
const LOCAL_HOSTS = new Set(["host.docker.internal", "localhost", "127.0.0.1", "[::1]", "0.0.0.0"]);

function hostOf(url: string): string | undefined {
  try {
    return new URL(url).hostname;
  } catch {
    return undefined;
  }
}

function edgeDeviceOf(p: ProviderToml, url: string | undefined, env: EnvVars): string | undefined {
  if (url?.startsWith(EDGE_PREFIX)) return url.slice(EDGE_PREFIX.length).trim();
  const device = envValue(env, "OLLAMA_EDGE_DEVICE");
  if (p.type !== "ollama" || device === undefined) return undefined;
  const host = url === undefined ? undefined : hostOf(url);
  return url === undefined || (host !== undefined && LOCAL_HOSTS.has(host)) ? device.trim() : undefined;
}

function notSet(names: string[]): string {
  const unique = [...new Set(names)];
  return `${unique.join(", ")} ${unique.length === 1 ? "is" : "are"} not set`;
}

/** Why a provider with all its variables set still cannot be called, or undefined when it can. */
function unusable(
  p: ProviderToml,
  s: { apiKey?: string | undefined; url?: string | undefined; accountId?: string | undefined; transport: Transport },
): string | undefined {
  if (s.transport !== "direct") return undefined;
  if ((p.type === "anthropic" || p.type === "google") && !s.apiKey) return "api_key is not configured";
  if (p.type === "openai" && !s.apiKey && !s.url) return "api_key is not configured";
  if (p.type === "cloudflare" && (!s.apiKey || (!s.url && !s.accountId)))
    return "neither the AI binding nor api_key with url/account_id is configured";
  return undefined;
}

export function resolveProvider(
  name: string,
  p: ProviderToml,
  urlTemplate: string | undefined,
  misses: readonly Miss[],
  env: EnvVars,
  issues: ConfigIssue[],
  warnings: string[],
): ProviderConfig {
  const missing = misses.filter((m) => m.path[0] === "providers" && m.path[1] === name).map((m) => m.name);
  const url = p.url?.trim() ? p.url.trim() : undefined;
  const edgeDevice = edgeDeviceOf(p, url, env);
  if (url?.startsWith(EDGE_PREFIX) && (p.type !== "ollama" || !edgeDevice)) {
    issues.push({
      field: `providers.${name}.url`,
      message: p.type !== "ollama" ? "the edge: transport is for ollama providers only" : "edge: needs a device id",
    });
  }
  if (p.type === "ollama" && !edgeDevice && url !== undefined && hostOf(url) === "host.docker.internal") {
    warnings.push(
      `providers.${name}.url: host.docker.internal is unreachable from a Worker; set OLLAMA_EDGE_DEVICE or url = "edge:<device-id>" (until then its variants fail and fall through)`,
    );
  }
  const bindingBound = p.type === "cloudflare" && env.AI !== undefined && env.AI !== null;
  const transport: Transport = edgeDevice ? `edge:${edgeDevice}` : bindingBound ? "binding" : "direct";
  const accountId = p.account_id?.trim() || (url ? /\/accounts\/([^/]+)\//.exec(url)?.[1] : undefined) || undefined;
  const apiKey = p.api_key?.trim() ? p.api_key.trim() : undefined;
  const { tier, source } = inferTier(name, p.type, p.tier);
  // The Workers AI binding needs no credentials, so a cloudflare provider is usable with it whatever is unset.
  const disabledReason =
    transport === "binding"
      ? undefined
      : missing.length > 0
        ? notSet(missing)
        : unusable(p, { apiKey, url, accountId, transport });
  return {
    name,
    type: p.type,
    url: edgeDevice ? undefined : url,
    apiKey,
    edgeDevice,
    accountId,
    tier,
    tierSource: source,
    enabled: disabledReason === undefined,
    disabledReason,
    transport,
    urlTemplate,
    budget: p.budget ? { dailyUsd: p.budget.daily_usd, monthlyUsd: p.budget.monthly_usd } : undefined,
  };
}
