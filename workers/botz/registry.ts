/**
 * The one conversion from a register request (HTTP body or bus payload) to the registry's input, so both
 * paths register a bot identically.
 */
import type { z } from "@hono/zod-openapi";
import { botzIdFor } from "./botz-id";
import type { Json, RegisterInput } from "../../durable-objects/botz-registry-model";
import type { RegisterBodySchema } from "./schemas";

const KNOWN = new Set([
  "botz_name",
  "instance_id",
  "skill_level",
  "available_mcp_tools",
  "runner_host",
  "config_path",
  "metadata",
]);

export async function toRegisterInput(body: z.infer<typeof RegisterBodySchema>): Promise<RegisterInput> {
  const extras: Record<string, Json> = {};
  for (const [k, v] of Object.entries(body)) if (!KNOWN.has(k)) extras[k] = v as Json;
  return {
    botz_id: await botzIdFor(body.instance_id),
    botz_name: body.botz_name,
    instance_id: body.instance_id,
    skill_level: body.skill_level,
    available_mcp_tools: body.available_mcp_tools,
    runner_host: body.runner_host,
    config_path: body.config_path,
    metadata: { ...extras, ...body.metadata },
  };
}
