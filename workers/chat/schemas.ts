/**
 * Wire shapes of the chat gateway's routes (zod, documented in /openapi.json).
 */
import { z } from "@hono/zod-openapi";
import { SURFACES } from "./surfaces";

export const ChatBodySchema = z
  .object({
    message: z.string().min(1).max(32_000),
    session_id: z.string().uuid().optional(),
    surface: z.enum(SURFACES).default("web"),
    /** The trust mode to open the session at; defaults to the ceiling (token's trust_mode_max capped by the surface). */
    trust_mode: z.number().int().min(0).max(3).optional(),
    stream: z.boolean().default(false),
  })
  .openapi("ChatRequest");

const UsageSchema = z.object({ input_tokens: z.number().int(), output_tokens: z.number().int() });

export const ChatResponseSchema = z
  .object({
    session_id: z.string(),
    reply: z.string(),
    trust_mode: z.number().int(),
    surface: z.enum(SURFACES),
    usage: UsageSchema,
    cost_usd: z.number().nullable(),
    model: z.object({ variant: z.string(), provider: z.string(), model: z.string() }).nullable(),
    tool_calls: z.array(z.object({ name: z.string(), status: z.enum(["ok", "not_allowed", "error"]) })),
    context: z.object({ turns: z.number().int(), folded: z.number().int(), summarized: z.boolean() }),
  })
  .openapi("ChatResponse");

export const SessionParamSchema = z.object({ id: z.string().uuid() });
export const SessionQuerySchema = z.object({ surface: z.enum(SURFACES).default("web") });

export const SessionSchema = z
  .object({
    id: z.string(),
    founder_id: z.string(),
    workspace_id: z.string(),
    trust_mode: z.number().int(),
    surface: z.enum(SURFACES),
    summary: z.string().nullable(),
    context: z.array(z.object({ role: z.enum(["user", "assistant"]), content: z.string(), at: z.number().int() })),
    created_at: z.string(),
    last_active_at: z.string(),
    expires_at: z.string(),
  })
  .openapi("ChatSession");
