/**
 * ChainBot agent routes (seed 004 paths): list, spawn, get, terminate. Thin: the limits come from
 * `loadChainbotConfig` and are enforced by the AgentRegistry object, which serialises spawns; answers
 * mask the config's secrets. Every route is audited (reads only when refused or failed).
 */
import { createRoute } from "@hono/zod-openapi";
import { agentRegistry } from "../../../durable-objects/agent-registry-client";
import { requireScope } from "../../platform/auth/middleware";
import { decodeCursor, encodeCursor } from "../../platform/cursor";
import { unwrap } from "../../platform/errors";
import { bearerSecurity, errorResponses, jsonContent } from "../../platform/openapi";
import { formatTraceparent } from "../../platform/trace";
import { createRouter } from "../../platform/validation";
import { auditDetail, auditTrail, type AuditTrailOptions } from "../audit/record";
import { loadChainbotConfig } from "../config/load";
import { presentAgent } from "./present";
import { AgentIdParamSchema, AgentListQuerySchema, AgentListSchema, AgentSchema, SpawnBodySchema } from "./schemas";

const tags = ["chainbot"];
const byId: AuditTrailOptions = { resource: (c) => `agents/${c.req.param("id") ?? ""}` };

const list = createRoute({
  method: "get",
  path: "/api/chainbot/agents",
  tags,
  summary: "List agents, oldest first (filter by agent_type and status)",
  security: bearerSecurity,
  middleware: [auditTrail("agent.list", { failuresOnly: true }), requireScope("chainbot:read")] as const,
  request: { query: AgentListQuerySchema },
  responses: {
    200: { description: "A page of agents", ...jsonContent(AgentListSchema) },
    ...errorResponses(400, 401, 403),
  },
});

const spawn = createRoute({
  method: "post",
  path: "/api/chainbot/agents",
  tags,
  summary: "Spawn an agent; 409 once agents.max_instances_per_type or agents.max_total_instances is reached",
  security: bearerSecurity,
  middleware: [auditTrail("agent.spawn", { resource: () => "agents" }), requireScope("chainbot:agent:spawn")] as const,
  request: { body: { required: true, ...jsonContent(SpawnBodySchema) } },
  responses: {
    201: { description: "Spawned (idle)", ...jsonContent(AgentSchema) },
    ...errorResponses(400, 401, 403, 409, 415),
  },
});

const get = createRoute({
  method: "get",
  path: "/api/chainbot/agents/{id}",
  tags,
  summary: "Read an agent",
  security: bearerSecurity,
  middleware: [auditTrail("agent.read", { failuresOnly: true, ...byId }), requireScope("chainbot:read")] as const,
  request: { params: AgentIdParamSchema },
  responses: {
    200: { description: "The agent", ...jsonContent(AgentSchema) },
    ...errorResponses(400, 401, 403, 404),
  },
});

const terminate = createRoute({
  method: "delete",
  path: "/api/chainbot/agents/{id}",
  tags,
  summary: "Terminate an agent: its slot frees at once; it stays readable as terminated",
  security: bearerSecurity,
  middleware: [auditTrail("agent.terminate", byId), requireScope("chainbot:agent:terminate")] as const,
  request: { params: AgentIdParamSchema },
  responses: {
    200: { description: "Terminated", ...jsonContent(AgentSchema) },
    ...errorResponses(400, 401, 403, 404, 409),
  },
});

export const agentRoutes = createRouter()
  .openapi(list, async (c) => {
    const q = c.req.valid("query");
    const at = q.cursor ? decodeCursor(q.cursor) : undefined;
    const agents = await agentRegistry(c.env).list({
      agent_type: q.agent_type,
      status: q.status,
      limit: q.limit + 1,
      after: at ? { created_at: at.ts, id: at.id } : undefined,
    });
    const page = agents.slice(0, q.limit);
    const last = page[page.length - 1];
    const next = agents.length > q.limit && last ? encodeCursor({ ts: last.created_at, id: last.id }) : null;
    return c.json({ agents: page.map(presentAgent), next_cursor: next }, 200);
  })
  .openapi(spawn, async (c) => {
    const body = c.req.valid("json");
    const { values } = await loadChainbotConfig(c.env);
    const { agent } = unwrap(
      await agentRegistry(c.env).spawn({
        agent_type: body.agent_type,
        name: body.config.name,
        config: body.config,
        created_by: c.get("principal").sub,
        limits: {
          types: [...values["agents.types"]],
          max_instances_per_type: values["agents.max_instances_per_type"],
          max_total_instances: values["agents.max_total_instances"],
        },
        traceparent: formatTraceparent(c.get("trace")),
      }),
    );
    auditDetail(c, { agent_id: agent.id, agent_type: agent.agent_type, name: agent.name });
    return c.json(presentAgent(agent), 201);
  })
  .openapi(get, async (c) => {
    const { agent } = unwrap(await agentRegistry(c.env).get(c.req.valid("param").id));
    return c.json(presentAgent(agent), 200);
  })
  .openapi(terminate, async (c) => {
    const { id } = c.req.valid("param");
    const { agent } = unwrap(await agentRegistry(c.env).terminate(id, formatTraceparent(c.get("trace"))));
    auditDetail(c, { agent_type: agent.agent_type });
    return c.json(presentAgent(agent), 200);
  });
