/**
 * What `/health` says about the gateway config: which config serves, any invalid higher-precedence config
 * (naming the key), and which providers are unconfigured (routing skips them).
 */
import type { Env } from "../../platform/env";
import { loadGatewayConfig, type ConfigSource } from "./source";

export interface GatewayHealth {
  source: ConfigSource;
  error?: string | undefined;
  errorSource?: ConfigSource | undefined;
  unconfigured: { provider: string; reason: string }[];
}

export async function gatewayHealth(env: Env): Promise<GatewayHealth> {
  const loaded = await loadGatewayConfig(env);
  const unconfigured = [...loaded.config.providers.values()]
    .filter((p) => !p.enabled)
    .map((p) => ({ provider: p.name, reason: p.disabledReason ?? "disabled" }));
  return { source: loaded.source, error: loaded.error, errorSource: loaded.errorSource, unconfigured };
}

/**
 * `gatewayHealth` in the shape of a platform HealthCheck: throws (→ /health "degraded") only when a stored or
 * GATEWAY_CONFIG config is invalid; unconfigured providers are normal (most deployments set a few keys).
 */
export async function gatewayHealthCheck(env: Env): Promise<GatewayHealth> {
  const health = await gatewayHealth(env);
  if (health.error)
    throw new Error(
      `${health.errorSource ?? "config"} gateway config is invalid (${health.error}); serving the ${health.source} config`,
    );
  return health;
}
