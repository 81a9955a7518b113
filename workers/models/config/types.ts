/**
 * The gateway config after parsing, validation and resolution: what the router, endpoints and /health read.
 * Names are resolved (a variant points at its provider object), `${env.X}` is interpolated, defaults are
 * filled in, so nothing downstream re-reads TOML or re-applies a default.
 */
import type { ChatParams, ProviderSettings, Tier } from "../types";

/** Per-attempt time budgets (TensorZero's `timeouts.non_streaming.total_ms`, `timeouts.streaming.*`). */
export interface Timeouts {
  nonStreamingTotalMs: number;
  streamingTtftMs: number;
  streamingTotalMs: number;
}

/** TensorZero's `retries = { num_retries, max_delay_s }`: extra tries of one variant, truncated exponential backoff with jitter. */
export interface Retries {
  numRetries: number;
  maxDelayS: number;
}

/** USD per million tokens. */
export interface Prices {
  inputPerMillion: number;
  outputPerMillion: number;
}

export interface Budget {
  dailyUsd?: number | undefined;
  monthlyUsd?: number | undefined;
}

/** How a provider is reached: its URL, the Workers AI binding, or an edge device's EdgeHub. */
export type Transport = "direct" | "binding" | `edge:${string}`;

export interface ProviderConfig extends ProviderSettings {
  tier: Tier;
  /** Why it has that tier: `tier =` on the provider, its well-known name, or its type. */
  tierSource: "explicit" | "name" | "type";
  enabled: boolean;
  /** Set when disabled, e.g. "CF_API_TOKEN is not set". */
  disabledReason?: string | undefined;
  transport: Transport;
  /** The `url` as written, before interpolation: safe to show (the interpolated one may carry secrets). */
  urlTemplate?: string | undefined;
  budget?: Budget | undefined;
}

export interface ModelConfig {
  name: string;
  provider: string;
  /** The provider's own model name. */
  model: string;
  prices?: Prices | undefined;
  contextWindow?: number | undefined;
}

export type JsonMode = "off" | "on" | "strict" | "tool";

export interface VariantConfig {
  name: string;
  /** `[models]` name, or `provider::model` for a variant that names its provider inline (seed's `local_embed`). */
  modelName: string;
  provider: string;
  model: string;
  weight: number;
  tier: Tier;
  tierSource: "variant" | ProviderConfig["tierSource"];
  timeouts: Timeouts;
  retries: Retries;
  prices?: Prices | undefined;
  contextWindow?: number | undefined;
  /** TensorZero's chat_completion inference params set on the variant (temperature, max_tokens, …). */
  params: ChatParams;
  jsonMode?: JsonMode | undefined;
}

export type FunctionType = "chat" | "json" | "embedding";
export type Sampling = "tier_weight" | "weighted";

export interface CacheConfig {
  enabled: boolean;
  ttlS: number;
  /** Cosine similarity at or above which a cached single-turn answer is reused; absent = no semantic cache. */
  semanticThreshold?: number | undefined;
  semanticTtlS: number;
}

export interface FunctionConfig {
  name: string;
  type: FunctionType;
  /** In written order (the `variants = [...]` list when present, else table order). */
  variants: VariantConfig[];
  /** Explicit `order = [...]`: these first, in this order. */
  order?: string[] | undefined;
  sampling: Sampling;
  /** Overall budget for getting an answer (non-streaming: the response; streaming: the first token) across every attempt. */
  deadlineMs: number;
  outputSchema?: Record<string, unknown> | undefined;
  cache: CacheConfig;
}

export interface MetricConfig {
  name: string;
  type: "boolean" | "float";
  level: "inference" | "episode";
  optimize: "max" | "min";
}

export interface GatewayConfig {
  providers: ReadonlyMap<string, ProviderConfig>;
  models: ReadonlyMap<string, ModelConfig>;
  embeddingModels: ReadonlyMap<string, ModelConfig>;
  functions: ReadonlyMap<string, FunctionConfig>;
  metrics: ReadonlyMap<string, MetricConfig>;
  /** Ignored blocks and keys, and other things worth knowing that do not stop the config. */
  warnings: string[];
}

/** One problem with a config, named by its key path (`functions.chat.variants.local.weight`). */
export interface ConfigIssue {
  field: string;
  message: string;
}

export type ParseResult = { ok: true; config: GatewayConfig } | { ok: false; error: string; issues: ConfigIssue[] };
