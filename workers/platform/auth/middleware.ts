/**
 * `requireScope(scope)`: the one auth middleware. It reads a credential (Bearer JWT, Bearer API key, or
 * `x-api-key`), verifies it, and checks the scope against the table in scopes.ts. No credential is 401,
 * a credential without the scope is 403. A route whose clients cannot set headers (browser EventSource and
 * WebSocket) opts into extra token carriers; every other route accepts only the headers.
 */
import type { Context, MiddlewareHandler } from "hono";
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

/** `query`: an `access_token` query parameter. `websocket-protocol`: a `bearer.<token>` Sec-WebSocket-Protocol entry. */
export type TokenCarrier = "query" | "websocket-protocol";

export interface RequireScopeOptions {
  tokenCarriers?: readonly TokenCarrier[];
}

const BEARER_SUBPROTOCOL = "bearer.";

function carriedCredential(c: Context<AppEnv>, carriers: readonly TokenCarrier[]): string | null {
  if (carriers.includes("websocket-protocol")) {
    const offered = (c.req.header("sec-websocket-protocol") ?? "").split(",").map((p) => p.trim());
    const bearer = offered.find((p) => p.startsWith(BEARER_SUBPROTOCOL));
    if (bearer !== undefined && bearer.length > BEARER_SUBPROTOCOL.length)
      return bearer.slice(BEARER_SUBPROTOCOL.length);
  }
  if (carriers.includes("query")) {
    const token = c.req.query("access_token");
    if (token) return token;
  }
  return null;
}

async function principalOf(c: Context<AppEnv>, carriers: readonly TokenCarrier[]): Promise<Principal> {
  const credential =
    credentialOf(c.req.header("authorization"), c.req.header("x-api-key")) ?? carriedCredential(c, carriers);
  if (!credential) {
    throw new AppError(401, "unauthorized", "missing credentials: send a Bearer token or x-api-key", undefined, {
      "WWW-Authenticate": "Bearer",
    });
  }
  return isApiKey(credential)
    ? await principalFromApiKey(c.env, credential, (work) => c.executionCtx.waitUntil(work))
    : await principalFromJwt(credential, c.env);
}

/**
 * Any valid credential, whatever its scopes: only for routes about the caller itself (`GET /api/v1/whoami`),
 * which every principal may ask so a client can learn what it is allowed to do.
 */
export function requireAuthentication(): MiddlewareHandler<AppEnv> {
  return async function requireAuthenticationMiddleware(c, next) {
    c.set("principal", await principalOf(c, []));
    await next();
  };
}

export function requireScope(scope: Scope, options: RequireScopeOptions = {}): MiddlewareHandler<AppEnv> {
  const carriers = options.tokenCarriers ?? [];
  return async function requireScopeMiddleware(c, next) {
    const principal = await principalOf(c, carriers);
    if (!grants(principal.scopes, scope)) {
      throw new AppError(403, "forbidden", `missing scope '${scope}'`, { required: scope });
    }
    c.set("principal", principal);
    await next();
  };
}
