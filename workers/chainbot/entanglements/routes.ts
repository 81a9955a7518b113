/**
 * ChainBot entanglement routes: list and create (seed 004 paths), read one, add and remove member agents.
 * The directory lives in the AgentRegistry, each entanglement in its own object; messages are in
 * message-routes.ts. Writes need `chainbot:entanglement:manage`, reads `chainbot:read`; all are audited.
 */
import { createRoute } from "@hono/zod-openapi";
import type { Context } from "hono";
import { agentRegistry } from "../../../durable-objects/agent-registry-client";
import { entanglement } from "../../../durable-objects/entanglement-client";
import type { AppEnv } from "../../platform/app-env";
import { requireScope } from "../../platform/auth/middleware";
import { decodeCursor, encodeCursor } from "../../platform/cursor";
import type { Env } from "../../platform/env";
import { unwrap } from "../../platform/errors";
import { bearerSecurity, errorResponses, jsonContent } from "../../platform/openapi";
import { createRouter } from "../../platform/validation";
import { auditDetail, auditTrail } from "../audit/record";
import { memberOf } from "./members";
import { presentEntanglement, presentInfo } from "./present";
import {
  AddMemberSchema,
  CreateEntanglementSchema,
  EntanglementIdParamSchema,
  EntanglementListSchema,
  EntanglementSchema,
  ListQuerySchema,
  MemberParamSchema,
} from "./schemas";

const tags = ["chainbot"];
const manage = requireScope("chainbot:entanglement:manage");
const read = requireScope("chainbot:read");
const resource = (c: Context<AppEnv>) => `entanglements/${c.req.param("id") ?? ""}`;

async function detail(env: Env, id: string) {
  const d = unwrap(await entanglement(env, id).describe());
  return presentEntanglement(d.info, d.members, d.messages);
}

const list = createRoute({
  method: "get",
  path: "/api/chainbot/entanglements",
  tags,
  summary: "List entanglements, oldest first",
  security: bearerSecurity,
  middleware: [auditTrail("entanglement.list", { failuresOnly: true }), read] as const,
  request: { query: ListQuerySchema },
  responses: {
    200: { description: "A page of entanglements", ...jsonContent(EntanglementListSchema) },
    ...errorResponses(400, 401, 403),
  },
});

const create = createRoute({
  method: "post",
  path: "/api/chainbot/entanglements",
  tags,
  summary: "Create an entanglement, optionally with its first agents",
  security: bearerSecurity,
  middleware: [auditTrail("entanglement.create", { resource: () => "entanglements" }), manage] as const,
  request: { body: { required: true, ...jsonContent(CreateEntanglementSchema) } },
  responses: {
    201: { description: "Created", ...jsonContent(EntanglementSchema) },
    ...errorResponses(400, 401, 403, 404, 409, 415),
  },
});

const get = createRoute({
  method: "get",
  path: "/api/chainbot/entanglements/{id}",
  tags,
  summary: "Read an entanglement with its members",
  security: bearerSecurity,
  middleware: [auditTrail("entanglement.read", { failuresOnly: true, resource }), read] as const,
  request: { params: EntanglementIdParamSchema },
  responses: {
    200: { description: "The entanglement", ...jsonContent(EntanglementSchema) },
    ...errorResponses(400, 401, 403, 404),
  },
});

const addAgent = createRoute({
  method: "post",
  path: "/api/chainbot/entanglements/{id}/agents",
  tags,
  summary: "Add an agent (201; 200 when it already is a member)",
  security: bearerSecurity,
  middleware: [auditTrail("entanglement.agent.add", { resource }), manage] as const,
  request: { params: EntanglementIdParamSchema, body: { required: true, ...jsonContent(AddMemberSchema) } },
  responses: {
    200: { description: "Already a member", ...jsonContent(EntanglementSchema) },
    201: { description: "Added", ...jsonContent(EntanglementSchema) },
    ...errorResponses(400, 401, 403, 404, 409, 415),
  },
});

const removeAgent = createRoute({
  method: "delete",
  path: "/api/chainbot/entanglements/{id}/agents/{agent_id}",
  tags,
  summary: "Remove an agent: its live sockets close; its messages stay in the log",
  security: bearerSecurity,
  middleware: [auditTrail("entanglement.agent.remove", { resource }), manage] as const,
  request: { params: MemberParamSchema },
  responses: {
    200: { description: "Removed", ...jsonContent(EntanglementSchema) },
    ...errorResponses(400, 401, 403, 404),
  },
});

export const entanglementRoutes = createRouter()
  .openapi(list, async (c) => {
    const q = c.req.valid("query");
    const at = q.cursor ? decodeCursor(q.cursor) : undefined;
    const rows = await agentRegistry(c.env).listEntanglements({
      limit: q.limit + 1,
      after: at ? { created_at: at.ts, id: at.id } : undefined,
    });
    const page = rows.slice(0, q.limit);
    const last = page[page.length - 1];
    const next = rows.length > q.limit && last ? encodeCursor({ ts: last.created_at, id: last.id }) : null;
    return c.json({ entanglements: page.map(presentInfo), next_cursor: next }, 200);
  })
  .openapi(create, async (c) => {
    const body = c.req.valid("json");
    // Every agent is checked before anything is written, so a bad id leaves no half-made entanglement.
    const members = [];
    for (const [i, agentId] of [...new Set(body.agent_ids)].entries())
      members.push(await memberOf(c.env, agentId, `body.agent_ids.${i}`));
    const entry = {
      id: crypto.randomUUID(),
      name: body.name,
      description: body.description ?? null,
      created_by: c.get("principal").sub,
      created_at: Date.now(),
    };
    const stub = entanglement(c.env, entry.id);
    await stub.init(entry);
    for (const m of members) unwrap(await stub.addMember(m));
    await agentRegistry(c.env).addEntanglement(entry);
    auditDetail(c, { entanglement_id: entry.id, agent_ids: members.map((m) => m.agent_id) });
    return c.json(await detail(c.env, entry.id), 201);
  })
  .openapi(get, async (c) => c.json(await detail(c.env, c.req.valid("param").id), 200))
  .openapi(addAgent, async (c) => {
    const { id } = c.req.valid("param");
    const stub = entanglement(c.env, id);
    unwrap(await stub.describe());
    const { agent_id } = c.req.valid("json");
    const { added } = unwrap(await stub.addMember(await memberOf(c.env, agent_id, "body.agent_id")));
    auditDetail(c, { agent_id, added });
    return added ? c.json(await detail(c.env, id), 201) : c.json(await detail(c.env, id), 200);
  })
  .openapi(removeAgent, async (c) => {
    const { id, agent_id } = c.req.valid("param");
    unwrap(await entanglement(c.env, id).removeMember(agent_id));
    auditDetail(c, { agent_id });
    return c.json(await detail(c.env, id), 200);
  });
