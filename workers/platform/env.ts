/**
 * The Worker's bindings and vars, as declared in wrangler.toml. One place, so every domain and every
 * Durable Object sees the same names.
 */
import type { BotzRegistry } from "../../durable-objects/botz-registry";
import type { BreakerBoard } from "../../durable-objects/breaker-board";
import type { EdgeHub } from "../../durable-objects/edge-hub";
import type { EventStream } from "../../durable-objects/event-stream";
import type { MetricsShard } from "../../durable-objects/metrics-shard";
import type { RateLimiter } from "../../durable-objects/rate-limiter";
import type { ResourceCoordinator } from "../../durable-objects/resource-coordinator";
import type { BusEvent } from "./bus/envelope";

export interface Env {
  DB: D1Database;
  BOTZ_REGISTRY: DurableObjectNamespace<BotzRegistry>;
  METRICS: DurableObjectNamespace<MetricsShard>;
  EVENT_STREAM: DurableObjectNamespace<EventStream>;
  RESOURCE_COORDINATOR: DurableObjectNamespace<ResourceCoordinator>;
  RATE_LIMITER: DurableObjectNamespace<RateLimiter>;
  BREAKERS: DurableObjectNamespace<BreakerBoard>;
  EDGE_HUB: DurableObjectNamespace<EdgeHub>;
  /** Workers AI; deliberately not bound in wrangler.toml (it always calls Cloudflare, even locally). */
  AI?: Ai;
  BUS: Queue<BusEvent>;
  BUS_DLQ: Queue<unknown>;
  EVENT_BLOBS: R2Bucket;

  BOTZ_HEARTBEAT_INTERVAL?: string;
  BOTZ_STALE_THRESHOLD?: string;
  BOTZ_CLAIM_LEASE_SECONDS?: string;
  BOTZ_MAX_CLAIM_ATTEMPTS?: string;
  EVENT_BUS_TOPIC_PREFIX?: string;
  EVENT_RETENTION_DAYS?: string;
  EVENT_BUS_PARTITIONS?: string;
  BUS_REDELIVERY_AFTER?: string;
  RESOURCE_REQUEST_TIMEOUT?: string;
  RESOURCE_CAPACITY_GPU_COMPUTE?: string;
  RESOURCE_CAPACITY_MEMORY_MB?: string;
  RESOURCE_CAPACITY_CLAUDE_API_TOKENS?: string;
  TRACE_ENDPOINT?: string;
  GATEWAY_CONFIG?: string;
  OLLAMA_EDGE_DEVICE?: string;
  /** Provider credentials the bundled tensorzero.toml interpolates with ${env.NAME}. */
  [name: `${string}_API_KEY` | `${string}_API_TOKEN` | `${string}_ACCOUNT_ID`]: string | undefined;
  COMPONENT_NAME?: string;
  COMPONENT_VERSION?: string;
  LOG_LEVEL?: string;
  CIRCUIT_BREAKER_OVERRIDES?: string;
  RESOURCE_AGING_MS?: string;
  RESOURCE_MAX_WAIT?: string;

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
