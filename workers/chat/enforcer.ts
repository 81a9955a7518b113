/**
 * The trust enforcer (seed 003 "Trust Enforcer", "Authentication Flow"). Checks run in the seed's order and
 * each fails on its own with its own code, in the one error shape:
 *   1. a verified JWT (the platform verifier: shared secret or JWKS)   401 unauthorized / invalid_claims
 *   2. not expired                                                      401 token_expired
 *   3. the surface is among the token's `surfaces`                      403 surface_not_allowed
 *   4. the token's scopes include the operation                         403 forbidden
 *   5. the operation fits the session's trust ceiling                   403 trust_mode_exceeded
 * Steps 1–2 run as middleware (before the body is read); 3–5 once the request names its surface. Every
 * attempt, allowed or denied, is written to the audit log before the answer leaves — one that fails its
 * input validation after a good token too, under the validation's code.
 */
import type { Context, MiddlewareHandler } from "hono";
import type { AppEnv } from "../platform/app-env";
import { principalFromJwt } from "../platform/auth/jwt";
import { grants, type Scope } from "../platform/auth/scopes";
import { AppError } from "../platform/errors";
import { recordAccess } from "./audit";
import { callerFromToken, type ChatCaller } from "./claims";
import { ceilingFor, type Surface, type TrustMode } from "./surfaces";

const callers = new WeakMap<Request, ChatCaller>();
/** Requests whose attempt `admit` already wrote to the audit log. */
const audited = new WeakSet<Request>();

export function bearerOf(authorization: string | undefined): string | null {
  if (!authorization) return null;
  return /^Bearer\s+(\S+)\s*$/i.exec(authorization)?.[1] ?? null;
}

/** The platform verifier says "token expired" for a valid signature past `exp`: that is its own check here. */
function asChatError(err: unknown): unknown {
  if (err instanceof AppError && err.status === 401 && err.message === "token expired")
    return new AppError(401, "token_expired", "token expired", undefined, err.headers);
  return err;
}

/** Where a request's JWT is read: `Authorization: Bearer`, unless a route takes it elsewhere too (GET /ws). */
export type CredentialReader = (c: Context<AppEnv>) => string | null;
const fromBearer: CredentialReader = (c) => bearerOf(c.req.header("authorization"));

/** Steps 1–2: a verified, unexpired JWT with readable chat claims. */
export function chatAuth(operation: Scope, credentialOf: CredentialReader = fromBearer): MiddlewareHandler<AppEnv> {
  return async function chatAuthMiddleware(c, next) {
    const token = credentialOf(c);
    try {
      if (!token)
        throw new AppError(401, "unauthorized", "missing credentials: send 'Authorization: Bearer <jwt>'", undefined, {
          "WWW-Authenticate": "Bearer",
        });
      const principal = await principalFromJwt(token, c.env).catch((err: unknown) => {
        throw asChatError(err);
      });
      callers.set(c.req.raw, callerFromToken(token, principal));
    } catch (err) {
      if (err instanceof AppError)
        await recordAccess(c.env, {
          operation,
          outcome: "denied",
          code: err.code,
          credential: token,
          detail: `${c.req.method} ${c.req.path}: ${err.message}`,
        });
      throw err;
    }
    await next();
    // A verified caller whose request failed before admit() (bad input, say) is still an attempt on record.
    const caller = callers.get(c.req.raw);
    if (caller && !audited.has(c.req.raw)) {
      const code =
        c.error instanceof AppError ? c.error.code : c.res.status >= 400 ? `http_${c.res.status}` : undefined;
      await recordAccess(c.env, {
        founderId: caller.founderId,
        workspaceId: caller.workspaceId,
        operation,
        outcome: c.res.status < 400 ? "allowed" : "denied",
        code,
        credential: caller.credential,
        detail: `${c.req.method} ${c.req.path}`,
      });
    }
  };
}

export interface Admitted {
  caller: ChatCaller;
  surface: Surface;
  /** The token's `trust_mode_max` capped by the surface's policy. */
  ceiling: TrustMode;
}

/** Steps 3–5 for one operation on one surface; `trustMode` is what the operation needs (default 0). */
export async function admit(
  c: Context<AppEnv>,
  operation: Scope,
  surface: Surface,
  trustMode: TrustMode = 0,
): Promise<Admitted> {
  const caller = callers.get(c.req.raw);
  if (!caller) throw new Error("admit() without chatAuth() before it");
  const ceiling = ceilingFor(caller.trustModeMax, surface);
  let denial: AppError | null = null;
  if (caller.surfaces !== null && !caller.surfaces.includes(surface))
    denial = new AppError(403, "surface_not_allowed", `the token does not allow surface '${surface}'`, {
      surface,
      allowed: caller.surfaces,
    });
  else if (!grants(caller.scopes, operation))
    denial = new AppError(403, "forbidden", `missing scope '${operation}'`, { required: operation });
  else if (trustMode > ceiling)
    denial = new AppError(403, "trust_mode_exceeded", `trust mode ${trustMode} is above this session's ceiling`, {
      requested: trustMode,
      ceiling,
    });
  audited.add(c.req.raw);
  await recordAccess(c.env, {
    founderId: caller.founderId,
    workspaceId: caller.workspaceId,
    operation,
    surface,
    outcome: denial ? "denied" : "allowed",
    code: denial?.code,
    trustMode,
    credential: caller.credential,
    detail: `${c.req.method} ${c.req.path}${denial ? `: ${denial.message}` : ""}`,
  });
  if (denial) throw denial;
  return { caller, surface, ceiling };
}
