/**
 * ChainBot workflow routes (seed 004 paths): list, create, get (latest or `?version=`), update (a new
 * version), soft delete. Thin: the definition check is definition-parse.ts, storage is store.ts.
 */
import { createRoute, type z } from "@hono/zod-openapi";
import { requireScope } from "../../platform/auth/middleware";
import { decodeCursor, encodeCursor } from "../../platform/cursor";
import { AppError, unwrap } from "../../platform/errors";
import { bearerSecurity, errorResponses, jsonContent } from "../../platform/openapi";
import { createRouter, validationHook } from "../../platform/validation";
import {
  presentSummary,
  presentWorkflow,
  WorkflowDeletedSchema,
  WorkflowGetQuerySchema,
  WorkflowIdParamSchema,
  WorkflowListQuerySchema,
  WorkflowListSchema,
  WorkflowSchema,
} from "./api-schemas";
import { checkDefinition, stepField } from "./definition-check";
import { definitionError, describeZodIssue } from "./definition-parse";
import { WorkflowDefinitionSchema, type WorkflowDefinition } from "./definition-schema";
import { createWorkflow, deleteWorkflow, listWorkflows, loadWorkflowVersion, updateWorkflow } from "./store";
import type { Env } from "../../platform/env";

const tags = ["chainbot"];
const body = { required: true, ...jsonContent(WorkflowDefinitionSchema) };

const list = createRoute({
  method: "get",
  path: "/api/chainbot/workflows",
  tags,
  summary: "List workflows, newest first",
  security: bearerSecurity,
  middleware: [requireScope("chainbot:read")] as const,
  request: { query: WorkflowListQuerySchema },
  responses: {
    200: { description: "A page of workflows", ...jsonContent(WorkflowListSchema) },
    ...errorResponses(400, 401, 403),
  },
});

const create = createRoute({
  method: "post",
  path: "/api/chainbot/workflows",
  tags,
  summary: "Create a workflow (version 1); the definition is checked first",
  security: bearerSecurity,
  middleware: [requireScope("chainbot:workflow:create")] as const,
  request: { body },
  responses: {
    201: { description: "Created", ...jsonContent(WorkflowSchema) },
    ...errorResponses(400, 401, 403, 413, 415),
  },
});

const get = createRoute({
  method: "get",
  path: "/api/chainbot/workflows/{id}",
  tags,
  summary: "Read a workflow: its latest version, or ?version=N",
  security: bearerSecurity,
  middleware: [requireScope("chainbot:read")] as const,
  request: { params: WorkflowIdParamSchema, query: WorkflowGetQuerySchema },
  responses: {
    200: { description: "The workflow", ...jsonContent(WorkflowSchema) },
    ...errorResponses(400, 401, 403, 404),
  },
});

const update = createRoute({
  method: "put",
  path: "/api/chainbot/workflows/{id}",
  tags,
  summary: "Store a new version; older versions stay readable",
  security: bearerSecurity,
  middleware: [requireScope("chainbot:workflow:create")] as const,
  request: { params: WorkflowIdParamSchema, body },
  responses: {
    200: { description: "The new version", ...jsonContent(WorkflowSchema) },
    ...errorResponses(400, 401, 403, 404, 409, 413, 415),
  },
});

const remove = createRoute({
  method: "delete",
  path: "/api/chainbot/workflows/{id}",
  tags,
  summary: "Delete a workflow: no new executions; versions stay for running ones",
  security: bearerSecurity,
  middleware: [requireScope("chainbot:workflow:delete")] as const,
  request: { params: WorkflowIdParamSchema },
  responses: {
    200: { description: "Deleted", ...jsonContent(WorkflowDeletedSchema) },
    ...errorResponses(400, 401, 403, 404),
  },
});

/** Body issues in definition words (`steps[1] (x).field`); other targets as every route words them. */
function definitionHook(result: { success: boolean; target: string; error?: z.ZodError }): undefined {
  if (result.success || !result.error) return undefined;
  // On failure the validator passes the input along too (its hook type leaves it out).
  const input = (result as { data?: unknown }).data;
  if (result.target !== "json") {
    validationHook({ ...result, data: input });
    return undefined;
  }
  throw definitionError(result.error.issues.map((i) => describeZodIssue(input, i)));
}

/** A stored version is one D1 row, and D1 refuses rows past 2 MB: stay well under. */
export const MAX_DEFINITION_BYTES = 512 * 1024;

/** The graph check, then every sub_workflow step must name a live workflow (and not the one being saved). */
async function checkAll(env: Env, def: WorkflowDefinition, selfId?: string): Promise<void> {
  const bytes = new TextEncoder().encode(JSON.stringify(def)).length;
  if (bytes > MAX_DEFINITION_BYTES)
    throw new AppError(413, "payload_too_large", `definition: ${bytes} bytes, more than ${MAX_DEFINITION_BYTES}`, {
      limit: MAX_DEFINITION_BYTES,
    });
  const issues = checkDefinition(def);
  if (issues.length === 0) {
    for (const [i, step] of def.steps.entries()) {
      if (step.type !== "sub_workflow") continue;
      const field = stepField(i, step.id, ["workflow_id"]);
      if (step.workflow_id === selfId) {
        issues.push({ field, message: "a workflow cannot run itself as a sub_workflow" });
        continue;
      }
      const found = await loadWorkflowVersion(env, step.workflow_id, step.version);
      if (!found.ok) issues.push({ field, message: found.message });
    }
  }
  if (issues.length > 0) throw definitionError(issues);
}

export const workflowRoutes = createRouter()
  .openapi(list, async (c) => {
    const q = c.req.valid("query");
    const page = await listWorkflows(c.env, q.limit, q.cursor ? decodeCursor(q.cursor) : undefined);
    return c.json(
      { workflows: page.workflows.map(presentSummary), next_cursor: page.next ? encodeCursor(page.next) : null },
      200,
    );
  })
  .openapi(
    create,
    async (c) => {
      const def = c.req.valid("json");
      await checkAll(c.env, def);
      return c.json(presentWorkflow(await createWorkflow(c.env, def, c.get("principal").sub)), 201);
    },
    (result) => definitionHook(result),
  )
  .openapi(get, async (c) => {
    const { id } = c.req.valid("param");
    const found = await loadWorkflowVersion(c.env, id, c.req.valid("query").version);
    // Deleted is gone for readers; the engine still loads pinned versions with includeDeleted.
    if (!found.ok && found.code === "workflow_deleted")
      throw new AppError(404, "workflow_not_found", `no workflow '${id}'`, { id, deleted: true });
    return c.json(presentWorkflow(unwrap(found).snapshot), 200);
  })
  .openapi(
    update,
    async (c) => {
      const { id } = c.req.valid("param");
      const def = c.req.valid("json");
      await checkAll(c.env, def, id);
      const { snapshot } = unwrap(await updateWorkflow(c.env, id, def, c.get("principal").sub));
      return c.json(presentWorkflow(snapshot), 200);
    },
    (result) => definitionHook(result),
  )
  .openapi(remove, async (c) => {
    const { id } = c.req.valid("param");
    const { deletedAt } = unwrap(await deleteWorkflow(c.env, id));
    return c.json({ id, deleted: true as const, deleted_at: new Date(deletedAt).toISOString() }, 200);
  });
