/**
 * Admin routes for phone bindings (scope `admin`): `PUT /api/v1/chat/phone-bindings/{phone}` binds a number
 * to a founder and workspace, `DELETE` unbinds it, `GET /api/v1/chat/phone-bindings` lists them. Each change
 * is written to the chat audit log, where the number is masked.
 */
import { createRoute, z } from "@hono/zod-openapi";
import { requireScope } from "../../platform/auth/middleware";
import { AppError } from "../../platform/errors";
import { bearerSecurity, errorResponses, jsonContent } from "../../platform/openapi";
import { createRouter } from "../../platform/validation";
import { recordAccess } from "../audit";
import type { TrustMode } from "../surfaces";
import {
  bindingCeiling,
  deleteBinding,
  E164Schema,
  listBindings,
  putBinding,
  type PhoneBindingRow,
} from "./phone-bindings";

const tags = ["chat"];
const iso = (ms: number | null) => (ms === null ? null : new Date(ms).toISOString());

const PhoneParamSchema = z.object({
  phone: E164Schema.openapi({ param: { name: "phone", in: "path" }, example: "+15551230001" }),
});

const BindingBodySchema = z
  .object({
    user_id: z.string().min(1).max(128),
    /** Defaults to the founder's personal workspace (its id is the founder's), as for tokens. */
    workspace_id: z.string().min(1).max(128).optional(),
    trust_mode: z.number().int().min(0).max(3).default(0),
  })
  .openapi("PhoneBindingRequest");

const BindingSchema = z
  .object({
    phone: z.string(),
    user_id: z.string(),
    workspace_id: z.string(),
    trust_mode: z.number().int(),
    /** What SMS and voice sessions actually open at: trust_mode capped by the `sms` surface policy. */
    effective_trust_mode: z.number().int(),
    session_id: z.string().nullable(),
    opted_out_at: z.string().nullable(),
    created_at: z.string(),
    updated_at: z.string(),
  })
  .openapi("PhoneBinding");

function present(row: PhoneBindingRow) {
  return {
    phone: row.phone,
    user_id: row.userId,
    workspace_id: row.workspaceId,
    trust_mode: row.trustMode,
    effective_trust_mode: bindingCeiling(row),
    session_id: row.sessionId,
    opted_out_at: iso(row.optedOutAt),
    created_at: new Date(row.createdAt).toISOString(),
    updated_at: new Date(row.updatedAt).toISOString(),
  };
}

const put = createRoute({
  method: "put",
  path: "/api/v1/chat/phone-bindings/{phone}",
  tags,
  summary: "Bind a phone number (E.164) to a founder and workspace for SMS and voice",
  security: bearerSecurity,
  middleware: [requireScope("admin")] as const,
  request: { params: PhoneParamSchema, body: { required: true, ...jsonContent(BindingBodySchema) } },
  responses: {
    200: { description: "Rebound", ...jsonContent(BindingSchema) },
    201: { description: "Bound", ...jsonContent(BindingSchema) },
    ...errorResponses(400, 401, 403, 415),
  },
});

const remove = createRoute({
  method: "delete",
  path: "/api/v1/chat/phone-bindings/{phone}",
  tags,
  summary: "Unbind a phone number",
  security: bearerSecurity,
  middleware: [requireScope("admin")] as const,
  request: { params: PhoneParamSchema },
  responses: { 204: { description: "Unbound" }, ...errorResponses(400, 401, 403, 404) },
});

const list = createRoute({
  method: "get",
  path: "/api/v1/chat/phone-bindings",
  tags,
  summary: "List phone bindings",
  security: bearerSecurity,
  middleware: [requireScope("admin")] as const,
  responses: {
    200: { description: "Phone bindings", ...jsonContent(z.object({ bindings: z.array(BindingSchema) })) },
    ...errorResponses(401, 403),
  },
});

export const phoneBindingRoutes = createRouter()
  .openapi(put, async (c) => {
    const { phone } = c.req.valid("param");
    const body = c.req.valid("json");
    const { row, created } = await putBinding(c.env, phone, {
      userId: body.user_id,
      workspaceId: body.workspace_id ?? body.user_id,
      trustMode: body.trust_mode as TrustMode,
    });
    await recordAccess(c.env, {
      founderId: row.userId,
      workspaceId: row.workspaceId,
      operation: "phone_binding:put",
      surface: "sms",
      outcome: "allowed",
      trustMode: row.trustMode,
      detail: `${c.get("principal").sub} bound ${phone}`,
    });
    return created ? c.json(present(row), 201) : c.json(present(row), 200);
  })
  .openapi(remove, async (c) => {
    const { phone } = c.req.valid("param");
    if (!(await deleteBinding(c.env, phone)))
      throw new AppError(404, "phone_binding_not_found", "no binding for this phone number");
    await recordAccess(c.env, {
      operation: "phone_binding:delete",
      surface: "sms",
      outcome: "allowed",
      detail: `${c.get("principal").sub} unbound ${phone}`,
    });
    return c.body(null, 204);
  })
  .openapi(list, async (c) => c.json({ bindings: (await listBindings(c.env)).map(present) }, 200));
