/**
 * TensorZero's `/inference` shapes: the request (function_name or model_name, input.system/messages,
 * params, episode_id, tags, stream, cache options) and the response. Unknown fields are passed over, so
 * newer clients keep working.
 */
import { z } from "@hono/zod-openapi";

const textBlock = z.looseObject({ type: z.literal("text"), text: z.string() });
const rawText = z.looseObject({ type: z.literal("raw_text"), value: z.string() });
const toolCall = z.looseObject({
  type: z.literal("tool_call"),
  id: z.string(),
  name: z.string(),
  arguments: z.union([z.string(), z.record(z.string(), z.unknown())]),
});
const toolResult = z.looseObject({
  type: z.literal("tool_result"),
  id: z.string(),
  name: z.string().optional(),
  result: z.string(),
});

export const InputMessageSchema = z.object({
  role: z.enum(["user", "assistant"]),
  content: z.union([z.string(), z.array(z.union([textBlock, rawText, toolCall, toolResult]))]),
});

export const InferenceRequestSchema = z
  .looseObject({
    function_name: z.string().min(1).max(200).optional(),
    model_name: z.string().min(1).max(300).optional(),
    variant_name: z.string().min(1).max(200).optional(),
    episode_id: z.uuid().optional(),
    input: z.object({
      system: z.union([z.string(), z.record(z.string(), z.unknown())]).optional(),
      messages: z.array(InputMessageSchema).max(1000).default([]),
    }),
    stream: z.boolean().default(false),
    params: z
      .looseObject({
        chat_completion: z
          .looseObject({
            temperature: z.number().min(0).max(2).optional(),
            max_tokens: z.number().int().positive().max(1_000_000).optional(),
            top_p: z.number().min(0).max(1).optional(),
            seed: z.number().int().optional(),
            presence_penalty: z.number().min(-2).max(2).optional(),
            frequency_penalty: z.number().min(-2).max(2).optional(),
            stop_sequences: z.array(z.string()).max(16).optional(),
          })
          .optional(),
      })
      .optional(),
    tags: z.record(z.string(), z.string()).optional(),
    cache_options: z
      .object({
        enabled: z.enum(["on", "off", "read_only", "write_only"]).default("off"),
        max_age_s: z.number().int().positive().optional(),
      })
      .optional(),
  })
  .refine((r) => Boolean(r.function_name) !== Boolean(r.model_name), {
    path: ["function_name"],
    message: "give exactly one of function_name and model_name",
  })
  .openapi("InferenceRequest");

export type InferenceRequest = z.infer<typeof InferenceRequestSchema>;

export const InferenceResponseSchema = z
  .object({
    inference_id: z.string(),
    episode_id: z.string(),
    variant_name: z.string(),
    content: z.array(z.record(z.string(), z.unknown())).optional(),
    output: z.object({ raw: z.string(), parsed: z.unknown() }).optional(),
    usage: z.object({ input_tokens: z.number().int(), output_tokens: z.number().int() }),
    finish_reason: z.string(),
  })
  .openapi("InferenceResponse");
