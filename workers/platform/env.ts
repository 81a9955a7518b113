/**
 * The Worker's bindings and vars, as declared in wrangler.toml. One place, so every domain and every
 * Durable Object sees the same names.
 */
import type { BotzRegistry } from "../../durable-objects/botz-registry";
import type { MetricsShard } from "../../durable-objects/metrics-shard";
import type { BusEvent } from "./bus/envelope";

export interface Env {
  DB: D1Database;
  BOTZ_REGISTRY: DurableObjectNamespace<BotzRegistry>;
  METRICS: DurableObjectNamespace<MetricsShard>;
  BUS: Queue<BusEvent>;
  BUS_DLQ: Queue<unknown>;

  BOTZ_HEARTBEAT_INTERVAL?: string;
  BOTZ_STALE_THRESHOLD?: string;
  BOTZ_CLAIM_LEASE_SECONDS?: string;
  BOTZ_MAX_CLAIM_ATTEMPTS?: string;
  EVENT_BUS_TOPIC_PREFIX?: string;
  COMPONENT_NAME?: string;
  COMPONENT_VERSION?: string;
  LOG_LEVEL?: string;

  AUTH_JWT_SECRET?: string;
  AUTH_JWKS_URL?: string;
  AUTH_JWT_ISSUER?: string;
  AUTH_JWT_AUDIENCE?: string;
}

type BotplaneEnv = Env;

declare global {
  // `import { env } from "cloudflare:workers"` is typed from this namespace.
  namespace Cloudflare {
    interface Env extends BotplaneEnv {}
  }
}
