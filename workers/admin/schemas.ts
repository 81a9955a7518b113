/**
 * zod schemas for the admin API-key routes.
 */
import { z } from "@hono/zod-openapi";
import { SCOPE_NAMES } from "../platform/auth/scopes";

export const CreateApiKeyBodySchema = z
  .object({
    name: z.string().min(1).max(200).openapi({ example: "crush-cli" }),
    scopes: z
      .array(z.enum(SCOPE_NAMES as [string, ...string[]]))
      .min(1)
      .max(50)
      .openapi({ example: ["botz:write", "workitems:claim"] }),
    expires_at: z.iso.datetime().optional().openapi({ description: "ISO-8601; omit for a key that does not expire" }),
  })
  .openapi("CreateApiKeyRequest");

export const ApiKeySchema = z
  .object({
    id: z.string(),
    name: z.string(),
    prefix: z.string(),
    scopes: z.array(z.string()),
    created_by: z.string(),
    created_at: z.string(),
    expires_at: z.string().nullable(),
    revoked_at: z.string().nullable(),
    last_used_at: z.string().nullable(),
  })
  .openapi("ApiKey");

export const CreatedApiKeySchema = ApiKeySchema.extend({
  key: z.string().openapi({ description: "The key itself. Shown once; store it now." }),
}).openapi("CreatedApiKey");

export const ApiKeyListSchema = z.object({ api_keys: z.array(ApiKeySchema) }).openapi("ApiKeyList");

export const ApiKeyIdParamSchema = z.object({ id: z.uuid().openapi({ param: { name: "id", in: "path" } }) });
