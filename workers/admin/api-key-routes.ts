/**
 * Admin routes for API keys: create (the key is in this one response only), list, revoke.
 */
import { createRoute } from "@hono/zod-openapi";
import { createApiKey, listApiKeys, revokeApiKey } from "../platform/auth/api-keys";
import { requireScope } from "../platform/auth/middleware";
import type { ApiKeyRow } from "../platform/db/schema";
import { AppError } from "../platform/errors";
import { bearerSecurity, errorResponses, jsonContent } from "../platform/openapi";
import { createRouter } from "../platform/validation";
import {
  ApiKeyIdParamSchema,
  ApiKeyListSchema,
  ApiKeySchema,
  CreateApiKeyBodySchema,
  CreatedApiKeySchema,
} from "./schemas";

const tags = ["admin"];
const iso = (ms: number | null) => (ms === null ? null : new Date(ms).toISOString());

function present(row: ApiKeyRow) {
  return {
    id: row.id,
    name: row.name,
    prefix: row.prefix,
    scopes: row.scopes,
    created_by: row.createdBy,
    created_at: new Date(row.createdAt).toISOString(),
    expires_at: iso(row.expiresAt),
    revoked_at: iso(row.revokedAt),
    last_used_at: iso(row.lastUsedAt),
  };
}

const create = createRoute({
  method: "post",
  path: "/v1/admin/api-keys",
  tags,
  summary: "Create an API key (shown once)",
  security: bearerSecurity,
  middleware: [requireScope("admin")] as const,
  request: { body: { required: true, ...jsonContent(CreateApiKeyBodySchema) } },
  responses: {
    201: { description: "Created", ...jsonContent(CreatedApiKeySchema) },
    ...errorResponses(400, 401, 403, 415),
  },
});

const list = createRoute({
  method: "get",
  path: "/v1/admin/api-keys",
  tags,
  summary: "List API keys (never the keys themselves)",
  security: bearerSecurity,
  middleware: [requireScope("admin")] as const,
  responses: { 200: { description: "API keys", ...jsonContent(ApiKeyListSchema) }, ...errorResponses(401, 403) },
});

const revoke = createRoute({
  method: "delete",
  path: "/v1/admin/api-keys/{id}",
  tags,
  summary: "Revoke an API key",
  security: bearerSecurity,
  middleware: [requireScope("admin")] as const,
  request: { params: ApiKeyIdParamSchema },
  responses: { 200: { description: "Revoked", ...jsonContent(ApiKeySchema) }, ...errorResponses(400, 401, 403, 404) },
});

export const apiKeyRoutes = createRouter()
  .openapi(create, async (c) => {
    const body = c.req.valid("json");
    const expiresAt = body.expires_at ? Date.parse(body.expires_at) : undefined;
    if (expiresAt !== undefined && expiresAt <= Date.now())
      throw new AppError(400, "invalid_input", "body.expires_at: must be in the future");
    const { key, row } = await createApiKey(c.env, {
      name: body.name,
      scopes: body.scopes,
      expiresAt,
      createdBy: c.get("principal").sub,
    });
    return c.json({ ...present(row), key }, 201);
  })
  .openapi(list, async (c) => c.json({ api_keys: (await listApiKeys(c.env)).map(present) }, 200))
  .openapi(revoke, async (c) => {
    const { id } = c.req.valid("param");
    const row = await revokeApiKey(c.env, id);
    if (!row) throw new AppError(404, "api_key_not_found", `no live API key '${id}'`);
    return c.json(present(row), 200);
  });
