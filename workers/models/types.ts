/**
 * The model gateway's one internal request/response/stream vocabulary. Every provider translates between
 * these types and its own wire format; the router, caches and endpoints speak only these.
 */

export type ProviderType = "ollama" | "cloudflare" | "openai" | "anthropic" | "google";
export type Tier = "local" | "free" | "plans" | "cloud";
export const TIER_ORDER: readonly Tier[] = ["local", "free", "plans", "cloud"];

export type Role = "system" | "user" | "assistant" | "tool";

export type ContentBlock =
  | { type: "text"; text: string }
  | { type: "tool_call"; id: string; name: string; arguments: string }
  | { type: "tool_result"; id: string; name?: string | undefined; result: string };

export interface ChatMessage {
  role: Role;
  content: ContentBlock[];
}

export interface ToolDefinition {
  name: string;
  description?: string | undefined;
  /** JSON Schema of the arguments. */
  parameters: Record<string, unknown>;
}

export interface ChatParams {
  temperature?: number | undefined;
  top_p?: number | undefined;
  max_tokens?: number | undefined;
  stop?: string[] | undefined;
  seed?: number | undefined;
  presence_penalty?: number | undefined;
  frequency_penalty?: number | undefined;
}

/** A provider-neutral chat request; `model` is the provider's own model name. */
export interface ChatRequest {
  model: string;
  system?: string | undefined;
  messages: ChatMessage[];
  params: ChatParams;
  /** Ask for JSON output: any object, or one matching a schema. */
  json?: { mode: "json_object" } | { mode: "json_schema"; name: string; schema: Record<string, unknown> } | undefined;
  tools?: ToolDefinition[] | undefined;
  tool_choice?: "auto" | "none" | "required" | { name: string } | undefined;
  /** Aborts the attempt (total timeout, client gone). */
  signal: AbortSignal;
}

export type FinishReason = "stop" | "length" | "tool_call" | "content_filter" | "unknown";

export interface Usage {
  input_tokens: number;
  output_tokens: number;
}

export interface ChatResult {
  content: ContentBlock[];
  usage: Usage;
  finish_reason: FinishReason;
  /** The model name the provider reports, when it reports one. */
  model?: string | undefined;
}

/** What a streaming provider yields; a stream ends after `finish` (usage may come before or with it). */
export type StreamChunk =
  | { type: "text_delta"; text: string }
  | {
      type: "tool_call_delta";
      index: number;
      id?: string | undefined;
      name?: string | undefined;
      arguments_delta: string;
    }
  | { type: "usage"; usage: Usage }
  | { type: "finish"; finish_reason: FinishReason };

export interface EmbedRequest {
  model: string;
  input: string[];
  signal: AbortSignal;
}

export interface EmbedResult {
  embeddings: number[][];
  usage: { input_tokens: number };
}

/**
 * Why an attempt failed, classified once by the provider so the router's rules (fall back or not, cool down,
 * mark exhausted) never parse provider-specific errors.
 */
export type FailureKind =
  | "network" // connection refused/reset, DNS: fall back
  | "timeout" // total or time-to-first-token budget exceeded: fall back
  | "rate_limited" // 429: fall back, honour retry_after_ms
  | "overloaded" // 529 / overloaded_error / 503: fall back
  | "server" // other 5xx, 408: fall back
  | "auth" // 401/403: provider misconfigured, long cooldown, fall back
  | "quota" // 402 or a quota/credit error: provider exhausted until its window resets, fall back
  | "bad_request" // 400/422: the caller's fault, no fallback
  | "context_length" // the prompt does not fit: may try a variant with a larger window
  | "stream" // malformed or failed stream (e.g. Ollama's {"error"} line with status 200): fall back
  | "unavailable"; // not configured / device offline: skip to the next tier

export class ProviderError extends Error {
  constructor(
    readonly kind: FailureKind,
    message: string,
    readonly status?: number | undefined,
    readonly retryAfterMs?: number | undefined,
  ) {
    super(message);
    this.name = "ProviderError";
  }
}

/** One configured provider instance (e.g. `[providers.openrouter]`), already bound to its credentials. */
export interface Provider {
  readonly name: string;
  readonly type: ProviderType;
  chat(req: ChatRequest): Promise<ChatResult>;
  /** Yields chunks; throws ProviderError (before or after the first chunk) on failure. */
  chatStream(req: ChatRequest): AsyncIterable<StreamChunk>;
  embed(req: EmbedRequest): Promise<EmbedResult>;
}

/** A provider's settings after config resolution (`${env.X}` interpolated, edge rerouting applied). */
export interface ProviderSettings {
  name: string;
  type: ProviderType;
  /** Base URL that already carries its version path (`…/api/v1`, GLM's `…/paas/v4/`); a default per type when absent. */
  url?: string | undefined;
  apiKey?: string | undefined;
  /** Ollama only: run jobs on this edge device through its EdgeHub instead of a URL. */
  edgeDevice?: string | undefined;
  /** Cloudflare only: account id for the REST API when no `AI` binding is present. */
  accountId?: string | undefined;
}
