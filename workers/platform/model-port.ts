/**
 * What other domains (chat, ChainBot, the JimBot services) and Durable Objects need from the model gateway:
 * one completion of a configured function (optionally with function-calling tools) and its streaming form.
 * workers/gateway-model.ts binds it to the model gateway's in-process API (`runInference` /
 * `streamInference`), so no domain imports another; routes and bus handlers get it injected by the
 * composition root, objects through a `providedSlot` (platform/provided.ts) their contract declares.
 */
import type { Env } from "../platform/env";

export type ContentBlock =
  | { type: "text"; text: string }
  | { type: "tool_call"; id: string; name: string; arguments: string }
  | { type: "tool_result"; id: string; name?: string | undefined; result: string };

export interface ChatMessage {
  role: "system" | "user" | "assistant" | "tool";
  content: ContentBlock[];
}

export interface ToolSpec {
  name: string;
  description?: string | undefined;
  parameters: Record<string, unknown>;
}

export interface ModelCall {
  functionName: string;
  system?: string | undefined;
  messages: ChatMessage[];
  tools?: ToolSpec[] | undefined;
  maxTokens?: number | undefined;
  workspace: string;
  traceparent?: string | undefined;
  /** Who is calling (`chat`, `chainbot`, …): the inference log's `caller` tag. */
  caller: string;
  /** The highest gateway tier this call may use (`free`: local and free variants only, e.g. over budget). */
  maxTier?: ModelTier | undefined;
}

/** The gateway's tiers, cheapest first (seed 001). */
export type ModelTier = "local" | "free" | "plans" | "cloud";

export interface ModelUsage {
  input_tokens: number;
  output_tokens: number;
}

export interface ModelServed {
  variant: string;
  provider: string;
  model: string;
}

export interface ModelReply {
  content: ContentBlock[];
  usage: ModelUsage;
  costUsd: number | undefined;
  served: ModelServed;
}

export type ModelStreamEvent =
  | { type: "text_delta"; text: string }
  | {
      type: "tool_call_delta";
      index: number;
      id?: string | undefined;
      name?: string | undefined;
      arguments_delta: string;
    }
  | { type: "usage"; usage: ModelUsage }
  | { type: "finish"; finish_reason: string }
  | { type: "error"; kind: string; message: string; usage: ModelUsage };

export interface ModelStream {
  events: AsyncIterable<ModelStreamEvent>;
  served: ModelServed;
  done: Promise<{
    usage: ModelUsage;
    costUsd: number | undefined;
    error?: { kind: string; message: string } | undefined;
  }>;
}

export interface Deferrer {
  waitUntil(p: Promise<unknown>): void;
}

export interface GatewayModel {
  complete(env: Env, ctx: Deferrer, call: ModelCall): Promise<ModelReply>;
  stream(env: Env, ctx: Deferrer, call: ModelCall): Promise<ModelStream>;
  /**
   * One text through the gateway's `embed` function; null when there is none or it fails (logged), so a
   * caller treats embeddings as optional. Absent on a port without embeddings.
   */
  embed?(env: Env, ctx: Deferrer, text: string): Promise<number[] | null>;
}
