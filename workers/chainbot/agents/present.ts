/**
 * An agent as the API shows it: ISO times and the config with every secret masked (an api agent's token,
 * key or password, a password inside a URL), the same masking the audit log uses.
 */
import type { z } from "@hono/zod-openapi";
import type { Agent } from "../../../durable-objects/agent-registry-model";
import { MASK, maskSecrets } from "../audit/mask";
import type { AgentSchema } from "./schemas";

const iso = (ms: number) => new Date(ms).toISOString();

/** Which auth an api agent uses stays readable; everything else in it is a credential. */
const PLAIN_AUTH_FIELDS = new Set(["type", "header", "username"]);

function maskConfig(config: Record<string, unknown>): Record<string, unknown> {
  const { auth, ...rest } = config;
  const masked = maskSecrets(rest);
  if (auth === undefined) return masked;
  const shown =
    auth !== null && typeof auth === "object" && !Array.isArray(auth)
      ? Object.fromEntries(Object.entries(auth).map(([k, v]) => [k, PLAIN_AUTH_FIELDS.has(k) ? v : MASK]))
      : MASK;
  return { ...masked, auth: shown };
}

export function presentAgent(agent: Agent): z.infer<typeof AgentSchema> {
  return {
    id: agent.id,
    agent_type: agent.agent_type,
    name: agent.name,
    config: maskConfig(agent.config),
    status: agent.status,
    created_by: agent.created_by,
    created_at: iso(agent.created_at),
    updated_at: iso(agent.updated_at),
    terminated_at: agent.terminated_at === null ? null : iso(agent.terminated_at),
  };
}
