/**
 * The OpenAI-compatible request shapes botplane validates. Known fields are checked; unknown ones pass
 * through (loose objects), so fields newer SDKs add never break a call.
 */
import { z } from "@hono/zod-openapi";

const contentPart = z.looseObject({ type: z.string(), text: z.string().optional() });

export const OpenAiMessageSchema = z.looseObject({
  role: z.enum(["system", "developer", "user", "assistant", "tool"]),
  content: z.union([z.string(), z.array(contentPart), z.null()]).optional(),
  name: z.string().optional(),
  tool_call_id: z.string().optional(),
  tool_calls: z
    .array(
      z.looseObject({
        id: z.string(),
        type: z.string().optional(),
        function: z.object({ name: z.string(), arguments: z.string() }),
      }),
    )
    .optional(),
});

const toolSchema = z.looseObject({
  type: z.literal("function"),
  function: z.looseObject({
    name: z.string().min(1),
    description: z.string().optional(),
    parameters: z.record(z.string(), z.unknown()).optional(),
  }),
});

export const ChatCompletionRequestSchema = z
  .looseObject({
    model: z.string().min(1).max(300).openapi({ example: "tensorzero::function_name::chat" }),
    messages: z.array(OpenAiMessageSchema).min(1).max(1000),
    stream: z.boolean().default(false),
    stream_options: z.looseObject({ include_usage: z.boolean().optional() }).optional(),
    temperature: z.number().min(0).max(2).optional(),
    top_p: z.number().min(0).max(1).optional(),
    max_tokens: z.number().int().positive().optional(),
    max_completion_tokens: z.number().int().positive().optional(),
    stop: z.union([z.string(), z.array(z.string()).max(16)]).optional(),
    seed: z.number().int().optional(),
    presence_penalty: z.number().min(-2).max(2).optional(),
    frequency_penalty: z.number().min(-2).max(2).optional(),
    response_format: z
      .union([
        z.looseObject({ type: z.literal("text") }),
        z.looseObject({ type: z.literal("json_object") }),
        z.looseObject({
          type: z.literal("json_schema"),
          json_schema: z.looseObject({ name: z.string(), schema: z.record(z.string(), z.unknown()).optional() }),
        }),
      ])
      .optional(),
    tools: z.array(toolSchema).max(128).optional(),
    tool_choice: z
      .union([
        z.enum(["auto", "none", "required"]),
        z.looseObject({ type: z.literal("function"), function: z.object({ name: z.string() }) }),
      ])
      .optional(),
    "tensorzero::episode_id": z.uuid().optional(),
    "tensorzero::variant_name": z.string().optional(),
    "tensorzero::tags": z.record(z.string(), z.string()).optional(),
  })
  .openapi("ChatCompletionRequest");

export const EmbeddingsRequestSchema = z
  .looseObject({
    model: z.string().min(1).max(300).openapi({ example: "tensorzero::embedding_model_name::local_embed" }),
    input: z.union([z.string(), z.array(z.string()).min(1).max(2048)]),
    // The official SDKs ask for base64 (little-endian float32) by default and decode it themselves.
    encoding_format: z.enum(["float", "base64"]).default("float"),
  })
  .openapi("EmbeddingsRequest");
