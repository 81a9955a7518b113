/**
 * `GET /api/v1/whoami`: the caller's own principal and every scope it holds once `admin` and `chainbot:admin`
 * are expanded, so a client (the operator console) can hide what it may not do without copying grants().
 * The API still checks each route's scope itself; this only describes the credential.
 */
import { createRoute, z } from "@hono/zod-openapi";
import type { AppEnv } from "../app-env";
import { bearerSecurity, errorResponses, jsonContent } from "../openapi";
import { createRouter } from "../validation";
import { requireAuthentication } from "./middleware";
import { grants, SCOPE_NAMES } from "./scopes";

export const WhoamiSchema = z
  .object({
    sub: z.string().openapi({ example: "alice" }),
    kind: z.enum(["jwt", "api_key"]),
    scopes: z.array(z.string()).openapi({ description: "As the credential carries them" }),
    granted: z
      .array(z.string())
      .openapi({ description: "Every scope the credential passes, superscopes expanded", example: ["botz:read"] }),
    workspace_id: z.string().nullable(),
    api_key_id: z.string().nullable(),
  })
  .openapi("Whoami");

const whoami = createRoute({
  method: "get",
  path: "/api/v1/whoami",
  tags: ["auth"],
  summary: "The caller's principal and the scopes it is granted (any valid credential)",
  security: bearerSecurity,
  middleware: [requireAuthentication()] as const,
  responses: { 200: { description: "The caller", ...jsonContent(WhoamiSchema) }, ...errorResponses(401) },
});

export const whoamiRoutes = createRouter().openapi(whoami, (c) => {
  const p: AppEnv["Variables"]["principal"] = c.get("principal");
  return c.json(
    {
      sub: p.sub,
      kind: p.kind,
      scopes: [...p.scopes],
      granted: SCOPE_NAMES.filter((s) => grants(p.scopes, s)),
      workspace_id: p.workspaceId ?? null,
      api_key_id: p.keyId ?? null,
    },
    200,
  );
});
