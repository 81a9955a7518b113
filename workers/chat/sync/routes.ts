/**
 * `POST /workspace/{id}/sync` (seed 003, path verbatim): the workspace's owner rebuilds its rolling summaries
 * now. Passes the trust enforcer like `/chat` (scope `chat:write`, the surface named in the body); the
 * namespace is the session's would be — mode 3 (`trust_mode` 3, or a mode-3 ceiling) syncs the Sovereign
 * `wbs` data, anything lower the `wb` data. Anyone but the owner gets 404.
 */
import { createRoute, z } from "@hono/zod-openapi";
import { logFor } from "../../platform/logger";
import type { GatewayModel } from "../../platform/model-port";
import { bearerSecurity, errorResponses, jsonContent } from "../../platform/openapi";
import { formatTraceparent } from "../../platform/trace";
import { createRouter } from "../../platform/validation";
import { admit, chatAuth } from "../enforcer";
import { namespaceOf, SURFACES, type TrustMode } from "../surfaces";
import { SUMMARY_TYPES } from "../../platform/db/schema";
import { syncWorkspace } from "./sync";
import { ownsWorkspace, workspaceNotFound } from "./workspace-owner";

export const WorkspaceParamSchema = z.object({
  id: z
    .string()
    .min(1)
    .max(128)
    .openapi({ param: { name: "id", in: "path" }, example: "acme" }),
});

const SyncBodySchema = z
  .object({
    surface: z.enum(SURFACES).default("web"),
    /** The namespace to sync by trust mode; defaults to the ceiling, as a session would open. */
    trust_mode: z.number().int().min(0).max(3).optional(),
  })
  .openapi("WorkspaceSyncRequest");

const SyncResponseSchema = z
  .object({
    workspace_id: z.string(),
    namespace: z.enum(["wb", "wbs"]),
    summaries: z.array(
      z.object({ id: z.string(), type: z.enum(SUMMARY_TYPES), content: z.string(), generated_at: z.string() }),
    ),
    input: z.object({
      transcripts: z.number().int(),
      goals: z.number().int(),
      checklists: z.number().int(),
      chars: z.number().int(),
    }),
    usage: z.object({ input_tokens: z.number().int(), output_tokens: z.number().int() }),
    cost_usd: z.number().nullable(),
  })
  .openapi("WorkspaceSync");

const sync = createRoute({
  method: "post",
  path: "/workspace/{id}/sync",
  tags: ["chat"],
  summary: "Rebuild the workspace's rolling summaries (weekly, blockers, plan, decisions) now; its owner only",
  security: bearerSecurity,
  middleware: [chatAuth("chat:write")] as const,
  request: { params: WorkspaceParamSchema, body: { required: true, ...jsonContent(SyncBodySchema) } },
  responses: {
    200: { description: "The rebuilt summaries", ...jsonContent(SyncResponseSchema) },
    ...errorResponses(400, 401, 403, 404, 415),
  },
});

export function syncRoutes(model: GatewayModel) {
  return createRouter().openapi(sync, async (c) => {
    const { id } = c.req.valid("param");
    const body = c.req.valid("json");
    const { caller, ceiling } = await admit(c, "chat:write", body.surface, (body.trust_mode ?? 0) as TrustMode);
    if (!(await ownsWorkspace(c.env, caller, id))) throw workspaceNotFound(id);
    const namespace = namespaceOf((body.trust_mode ?? ceiling) as TrustMode);
    const result = await syncWorkspace(
      {
        env: c.env,
        ctx: c.executionCtx,
        model,
        log: logFor(c),
        traceparent: formatTraceparent(c.get("trace")),
      },
      { founderId: caller.founderId, workspaceId: id, namespace },
    );
    return c.json(
      {
        workspace_id: id,
        namespace,
        ...result,
        summaries: result.summaries.map((s) => ({ ...s, generated_at: new Date(s.generated_at).toISOString() })),
      },
      200,
    );
  });
}
