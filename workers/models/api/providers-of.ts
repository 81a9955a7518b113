/**
 * The configured providers (with budgets) for the gauges and the health report.
 */
import type { Env } from "../../platform/env";
import { loadGatewayConfig } from "../config/source";
import { providerHealth, type ProviderInfo } from "../router";

export async function configuredProviders(env: Env): Promise<ProviderInfo[]> {
  const { config } = await loadGatewayConfig(env);
  return [...config.providers.values()].filter((p) => p.enabled).map((p) => ({ name: p.name, budget: p.budget }));
}

/** /health: a provider marked misconfigured (bad key) or exhausted shows up as a failed check. */
export async function providersHealthCheck(env: Env): Promise<void> {
  const unhealthy = providerHealth(await configuredProviders(env), env).filter(
    (p) => p.state === "misconfigured" || p.state === "exhausted",
  );
  if (unhealthy.length)
    throw new Error(unhealthy.map((p) => `${p.provider}: ${p.state}${p.reason ? ` (${p.reason})` : ""}`).join("; "));
}
