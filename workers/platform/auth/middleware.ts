/**
 * `requireScope(scope)`: the one auth middleware. It reads a credential (Bearer JWT, Bearer API key, or
 * `x-api-key`), verifies it, and checks the scope against the table in scopes.ts. No credential is 401,
 * a credential without the scope is 403.
 */
import type { MiddlewareHandler } from "hono";
import type { AppEnv, Principal } from "../app-env";
import { AppError } from "../errors";
import { isApiKey, principalFromApiKey } from "./api-keys";
import { principalFromJwt } from "./jwt";
import { grants, type Scope } from "./scopes";

function credentialOf(authorization: string | undefined, apiKeyHeader: string | undefined): string | null {
  if (apiKeyHeader) return apiKeyHeader.trim();
  if (!authorization) return null;
  const m = /^Bearer\s+(\S+)\s*$/i.exec(authorization);
  if (!m?.[1]) throw new AppError(401, "unauthorized", "Authorization must be 'Bearer <token>'");
  return m[1];
}

export function requireScope(scope: Scope): MiddlewareHandler<AppEnv> {
  return async function requireScopeMiddleware(c, next) {
    const credential = credentialOf(c.req.header("authorization"), c.req.header("x-api-key"));
    if (!credential) {
      throw new AppError(401, "unauthorized", "missing credentials: send a Bearer token or x-api-key", undefined, {
        "WWW-Authenticate": "Bearer",
      });
    }
    const principal: Principal = isApiKey(credential)
      ? await principalFromApiKey(c.env, credential, (work) => c.executionCtx.waitUntil(work))
      : await principalFromJwt(credential, c.env);
    if (!grants(principal.scopes, scope)) {
      throw new AppError(403, "forbidden", `missing scope '${scope}'`, { required: scope });
    }
    c.set("principal", principal);
    await next();
  };
}
