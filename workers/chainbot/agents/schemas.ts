/**
 * ChainBot agent API schemas: seed 004's four agent types, each with the configuration the seed lists for it
 * (assistant: personality, knowledge base, response style; data_processor: processing type, algorithms,
 * output format; api: base URL, authentication, rate limiting; workflow: engine, monitoring rules,
 * alerting). Unknown config fields are refused, so a typo is a 400 naming it.
 */
import { z } from "@hono/zod-openapi";
import { AGENT_STATUSES, AGENT_TYPE_NAMES } from "../../../durable-objects/agent-registry-model";

const name = z.string().trim().min(1).max(200).openapi({ example: "My Assistant" });
const description = z.string().max(2000).optional();
const shortText = z.string().trim().min(1).max(200);

export const AssistantConfigSchema = z.strictObject({
  name,
  description,
  personality: z.string().trim().min(1).max(4000).default("helpful").openapi({ example: "helpful" }),
  knowledge_base: z.array(z.string().max(4000)).max(50).default([]),
  response_style: z.string().trim().min(1).max(200).default("concise"),
  function_name: z
    .string()
    .regex(/^[A-Za-z0-9_.-]{1,64}$/)
    .default("chat")
    .openapi({ description: "The model gateway function its answers run" }),
  max_tokens: z.number().int().min(1).max(32_000).optional(),
});

export const DataProcessorConfigSchema = z.strictObject({
  name,
  description,
  processing_type: shortText.default("analysis").openapi({ example: "validation" }),
  algorithms: z.array(shortText).max(50).default([]),
  output_format: z.enum(["json", "csv", "text"]).default("json"),
});

const secret = z.string().min(1).max(4096);

export const ApiAuthSchema = z.discriminatedUnion("type", [
  z.strictObject({ type: z.literal("none") }),
  z.strictObject({ type: z.literal("bearer"), token: secret }),
  z.strictObject({
    type: z.literal("api_key"),
    header: z
      .string()
      .regex(/^[A-Za-z0-9-]{1,64}$/)
      .default("x-api-key"),
    api_key: secret,
  }),
  z.strictObject({ type: z.literal("basic"), username: z.string().min(1).max(256), password: secret }),
]);

export const ApiConfigSchema = z.strictObject({
  name,
  description,
  base_url: z
    .url({ protocol: /^https?$/ })
    .max(2048)
    .openapi({ example: "https://api.example.com/v1" }),
  auth: ApiAuthSchema.default({ type: "none" }).openapi({ description: "Secrets are masked in every answer" }),
  rate_limit: z
    .strictObject({ requests_per_minute: z.number().int().min(1).max(100_000) })
    .optional()
    .openapi({ example: { requests_per_minute: 60 } }),
  timeout_seconds: z.number().min(0.1).max(300).default(30),
});

export const WorkflowAgentConfigSchema = z.strictObject({
  name,
  description,
  workflow_engine: shortText.default("chainbot"),
  workflow_ids: z.array(z.string().min(1).max(100)).max(100).default([]),
  monitoring_rules: z
    .array(
      z.strictObject({
        name: shortText,
        expression: z.string().min(1).max(2000).openapi({ example: "${execution.duration} > 60" }),
        severity: z.enum(["info", "warning", "critical"]).default("warning"),
      }),
    )
    .max(50)
    .default([]),
  alerting: z
    .strictObject({ on_failure: z.boolean().default(true), channels: z.array(shortText).max(20).default([]) })
    .default({ on_failure: true, channels: [] }),
});

export const SpawnBodySchema = z
  .discriminatedUnion("agent_type", [
    z.strictObject({ agent_type: z.literal("assistant"), config: AssistantConfigSchema }),
    z.strictObject({ agent_type: z.literal("data_processor"), config: DataProcessorConfigSchema }),
    z.strictObject({ agent_type: z.literal("api"), config: ApiConfigSchema }),
    z.strictObject({ agent_type: z.literal("workflow"), config: WorkflowAgentConfigSchema }),
  ])
  .openapi("ChainbotSpawnAgent", {
    example: { agent_type: "assistant", config: { name: "My Assistant", personality: "helpful" } },
  });
export type SpawnBody = z.infer<typeof SpawnBodySchema>;

export const AgentSchema = z
  .object({
    id: z.string(),
    agent_type: z.enum(AGENT_TYPE_NAMES),
    name: z.string(),
    config: z.record(z.string(), z.unknown()).openapi({ description: "As spawned; secrets masked (`***`)" }),
    status: z.enum(AGENT_STATUSES),
    created_by: z.string(),
    created_at: z.string(),
    updated_at: z.string(),
    terminated_at: z.string().nullable(),
  })
  .openapi("ChainbotAgent");

export const AgentListSchema = z
  .object({ agents: z.array(AgentSchema), next_cursor: z.string().nullable() })
  .openapi("ChainbotAgentList");

export const AgentIdParamSchema = z.object({
  id: z.uuid().openapi({ param: { name: "id", in: "path" }, example: "0b7c6c4e-3f0e-4d2a-9a57-1f6f5e3c2b1a" }),
});

export const AgentListQuerySchema = z.object({
  agent_type: z.enum(AGENT_TYPE_NAMES).optional(),
  status: z.enum(AGENT_STATUSES).optional(),
  limit: z.coerce.number().int().min(1).max(200).default(50),
  cursor: z.string().max(512).optional(),
});
