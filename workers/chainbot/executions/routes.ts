/**
 * ChainBot execution routes: execute a workflow (seed 004's path, `input_data` → `execution_id` at once,
 * 202), read one execution, list a workflow's executions, cancel / pause / resume, send a named event or an
 * approval to a waiting step, and watch it live over a WebSocket. Seed permissions: `chainbot:read` to read
 * and watch, `chainbot:workflow:execute` for the rest. Every call is audited (reads only when refused).
 */
import { createRoute, type z } from "@hono/zod-openapi";
import type { Context } from "hono";
import { liveRequest, workflowAdmission, workflowExecution } from "../../../durable-objects/workflow-execution-client";
import type { AppEnv } from "../../platform/app-env";
import { requireScope } from "../../platform/auth/middleware";
import { decodeCursor, encodeCursor } from "../../platform/cursor";
import { AppError, unwrap } from "../../platform/errors";
import { bearerSecurity, ErrorSchema, errorResponses, jsonContent } from "../../platform/openapi";
import { createRouter } from "../../platform/validation";
import { auditDetail, auditTrail } from "../audit/record";
import { LIVE_SUBPROTOCOL, LIVE_TOKEN_CARRIERS, withLiveProtocol } from "../live-socket";
import { WorkflowIdParamSchema } from "../workflows/api-schemas";
import {
  ApproveBodySchema,
  EventBodySchema,
  ExecuteAnswerSchema,
  ExecuteBodySchema,
  ExecutionIdParamSchema,
  ExecutionListQuerySchema,
  ExecutionListSchema,
  ExecutionSchema,
  presentExecution,
} from "./api-schemas";
import { startExecution } from "./start";

const tags = ["chainbot"];
const READ = "chainbot:read";
const EXECUTE = "chainbot:workflow:execute";
const execResource = (c: Context<AppEnv>) => `execution:${c.req.param("id") ?? ""}`;

const execute = createRoute({
  method: "post",
  path: "/api/chainbot/workflows/{id}/execute",
  tags,
  summary: "Execute a workflow: answers the execution id at once; the execution runs (or queues) in its object",
  security: bearerSecurity,
  middleware: [
    auditTrail("workflow.execute", { resource: (c) => `workflow:${c.req.param("id") ?? ""}` }),
    requireScope(EXECUTE),
  ] as const,
  request: { params: WorkflowIdParamSchema, body: { required: false, ...jsonContent(ExecuteBodySchema) } },
  responses: {
    202: { description: "Started or queued", ...jsonContent(ExecuteAnswerSchema) },
    ...errorResponses(400, 401, 403, 404, 409, 413, 415),
    503: { description: "ChainBot is stopped: new executions are refused", ...jsonContent(ErrorSchema) },
  },
});

const read = createRoute({
  method: "get",
  path: "/api/chainbot/executions/{id}",
  tags,
  summary: "An execution: status, steps_completed / total_steps, and each step's status, attempts, output, error",
  security: bearerSecurity,
  middleware: [
    auditTrail("execution.read", { resource: execResource, failuresOnly: true }),
    requireScope(READ),
  ] as const,
  request: { params: ExecutionIdParamSchema },
  responses: {
    200: { description: "The execution", ...jsonContent(ExecutionSchema) },
    ...errorResponses(400, 401, 403, 404),
  },
});

const list = createRoute({
  method: "get",
  path: "/api/chainbot/workflows/{id}/executions",
  tags,
  summary: "A workflow's executions, newest first; filter by status",
  security: bearerSecurity,
  middleware: [
    auditTrail("execution.list", { resource: (c) => `workflow:${c.req.param("id") ?? ""}`, failuresOnly: true }),
    requireScope(READ),
  ] as const,
  request: { params: WorkflowIdParamSchema, query: ExecutionListQuerySchema },
  responses: {
    200: { description: "A page of executions", ...jsonContent(ExecutionListSchema) },
    ...errorResponses(400, 401, 403),
  },
});

function control(action: "cancel" | "pause" | "resume", summary: string) {
  return createRoute({
    method: "post",
    path: `/api/chainbot/executions/{id}/${action}`,
    tags,
    summary,
    security: bearerSecurity,
    middleware: [auditTrail(`execution.${action}`, { resource: execResource }), requireScope(EXECUTE)] as const,
    request: { params: ExecutionIdParamSchema },
    responses: {
      200: { description: "The execution after the change", ...jsonContent(ExecutionSchema) },
      ...errorResponses(400, 401, 403, 404, 409),
    },
  });
}

const sendEvent = createRoute({
  method: "post",
  path: "/api/chainbot/executions/{id}/events",
  tags,
  summary: "Send a named event: a wait step for it completes (an early event waits for its step)",
  security: bearerSecurity,
  middleware: [auditTrail("execution.event", { resource: execResource }), requireScope(EXECUTE)] as const,
  request: { params: ExecutionIdParamSchema, body: { required: true, ...jsonContent(EventBodySchema) } },
  responses: {
    202: { description: "Accepted", ...jsonContent(ExecuteAnswerSchema.pick({ execution_id: true, status: true })) },
    ...errorResponses(400, 401, 403, 404, 409, 413, 415),
  },
});

const approve = createRoute({
  method: "post",
  path: "/api/chainbot/executions/{id}/approve",
  tags,
  summary: "Approve (or reject) a wait step that asks for approval",
  security: bearerSecurity,
  middleware: [auditTrail("execution.approve", { resource: execResource }), requireScope(EXECUTE)] as const,
  request: { params: ExecutionIdParamSchema, body: { required: true, ...jsonContent(ApproveBodySchema) } },
  responses: {
    202: { description: "Accepted", ...jsonContent(ExecuteAnswerSchema.pick({ execution_id: true, status: true })) },
    ...errorResponses(400, 401, 403, 404, 409, 413, 415),
  },
});

const live = createRoute({
  method: "get",
  path: "/api/chainbot/executions/{id}/live",
  tags,
  summary: "Watch an execution (WebSocket): a snapshot, then every step and status transition",
  description:
    'Send `Upgrade: websocket`. Frames are JSON: `{"type":"snapshot","execution":…}` first, then ' +
    '`{"type":"step",step_key,step_id,status,attempt,…}` and `{"type":"execution",status}` as they happen. ' +
    `Browsers offer the subprotocols \`${LIVE_SUBPROTOCOL}, bearer.<token>\` (answered \`${LIVE_SUBPROTOCOL}\`).`,
  security: bearerSecurity,
  middleware: [
    auditTrail("execution.live", { resource: execResource, failuresOnly: true }),
    requireScope(READ, LIVE_TOKEN_CARRIERS),
  ] as const,
  request: { params: ExecutionIdParamSchema },
  responses: {
    101: { description: "Switched to a WebSocket" },
    ...errorResponses(400, 401, 403, 404),
    426: { description: "The request did not ask for a WebSocket upgrade", ...jsonContent(ErrorSchema) },
  },
});

async function present(c: Context<AppEnv>, id: string) {
  const { execution } = unwrap(await workflowExecution(c.env, id).get());
  return presentExecution(execution, Date.now());
}

type ControlAction = "cancel" | "pause" | "resume";
const controlRoutes = (["cancel", "pause", "resume"] as const).map((action: ControlAction) => ({
  action,
  route: control(
    action,
    action === "cancel"
      ? "Cancel an execution (a step in flight is aborted)"
      : action === "pause"
        ? "Pause: the step in flight finishes, the next waits for resume"
        : "Resume a paused execution",
  ),
}));

const router = createRouter()
  .openapi(execute, async (c) => {
    const { id } = c.req.valid("param");
    const body: z.infer<typeof ExecuteBodySchema> = c.req.valid("json") ?? { input_data: {} };
    const started = unwrap(
      await startExecution(c.env, {
        workflowId: id,
        version: body.version,
        input: body.input_data,
        createdBy: c.get("principal").sub,
      }),
    );
    auditDetail(c, { execution_id: started.executionId, status: started.status });
    return c.json(
      {
        execution_id: started.executionId,
        workflow_id: id,
        workflow_version: started.workflowVersion,
        status: started.status,
        queue_position: started.position,
      },
      202,
    );
  })
  .openapi(read, async (c) => c.json(await present(c, c.req.valid("param").id), 200))
  .openapi(list, async (c) => {
    const { id } = c.req.valid("param");
    const q = c.req.valid("query");
    const page = unwrap(
      await workflowAdmission(c.env, id).list({
        limit: q.limit,
        ...(q.status ? { status: q.status } : {}),
        ...(q.cursor ? { before: decodeCursor(q.cursor).ts } : {}),
      }),
    );
    const last = page.executions[page.executions.length - 1];
    return c.json(
      {
        executions: page.executions.map((e) => ({
          execution_id: e.executionId,
          status: e.status,
          created_at: new Date(e.createdAt).toISOString(),
          updated_at: new Date(e.updatedAt).toISOString(),
        })),
        next_cursor: page.next !== null && last ? encodeCursor({ ts: page.next, id: last.executionId }) : null,
      },
      200,
    );
  })
  .openapi(sendEvent, async (c) => {
    const { id } = c.req.valid("param");
    const body = c.req.valid("json");
    const by = c.get("principal").sub;
    const res = unwrap(
      await workflowExecution(c.env, id).signal({ kind: "event", name: body.name, payload: body.payload ?? null, by }),
    );
    auditDetail(c, { event: body.name });
    return c.json({ execution_id: id, status: res.status }, 202);
  })
  .openapi(approve, async (c) => {
    const { id } = c.req.valid("param");
    const body = c.req.valid("json");
    const by = c.get("principal").sub;
    const payload = { decision: body.decision, comment: body.comment ?? null };
    const res = unwrap(
      await workflowExecution(c.env, id).signal({ kind: "approval", name: body.step_id ?? "*", payload, by }),
    );
    auditDetail(c, { decision: body.decision, step_id: body.step_id ?? null });
    return c.json({ execution_id: id, status: res.status }, 202);
  })
  .openapi(live, async (c) => {
    const { id } = c.req.valid("param");
    if (c.req.header("upgrade")?.toLowerCase() !== "websocket")
      throw new AppError(426, "upgrade_required", "watch with a WebSocket upgrade", undefined, {
        upgrade: "websocket",
      });
    const stub = workflowExecution(c.env, id);
    unwrap(await stub.get());
    return withLiveProtocol(c, await stub.fetch(liveRequest()));
  });

for (const { action, route } of controlRoutes)
  router.openapi(route, async (c) => {
    const { id } = c.req.valid("param");
    const stub = workflowExecution(c.env, id);
    const done =
      action === "cancel" ? await stub.cancel() : action === "pause" ? await stub.pause() : await stub.resume();
    return c.json(presentExecution(unwrap(done).execution, Date.now()), 200);
  });

export const executionRoutes = router;
