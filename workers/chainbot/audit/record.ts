/**
 * Writing ChainBot's audit log: `recordAudit(c, entry)` for a route (or the engine) to call, and the
 * `auditTrail(action)` middleware that ChainBot routes list before `requireScope`, so a refused call (401,
 * 403, 400) is recorded as a failure too. Each row carries the seed's fields — user, session, action,
 * resource, timestamp, metadata, success/failure — with metadata and errors masked first. Writing the row
 * never fails the request: a D1 error is logged (with the masked entry) and the response goes out as it was.
 */
import type { Context, MiddlewareHandler } from "hono";
import { HTTPException } from "hono/http-exception";
import { decodeJwt } from "jose";
import type { AppEnv, Principal } from "../../platform/app-env";
import { isApiKey, principalFromApiKey } from "../../platform/auth/api-keys";
import { principalFromJwt } from "../../platform/auth/jwt";
import { createDb } from "../../platform/db/client";
import { chainbotAudit } from "../../platform/db/schema";
import { AppError } from "../../platform/errors";
import { logFor } from "../../platform/logger";
import { maskSecrets, maskString } from "./mask";

export type AuditOutcome = "success" | "failure";

export interface AuditEntry {
  action: string;
  resource: string;
  outcome: AuditOutcome;
  metadata?: Record<string, unknown>;
  /** The HTTP status answered, when the operation was a request. */
  status?: number;
  error?: string;
}

const MAX_METADATA_CHARS = 16 * 1024;
const MAX_ERROR_CHARS = 1024;

/** The session a credential belongs to: the API key's id, or a JWT's `sid` (else its `jti`). */
function sessionOf(c: Context<AppEnv>, principal: Principal | undefined): string | null {
  if (principal?.keyId) return `api_key:${principal.keyId}`;
  const bearer = /^Bearer\s+(\S+)\s*$/i.exec(c.req.header("authorization") ?? "")?.[1];
  if (!bearer || isApiKey(bearer)) return null;
  try {
    // Verified by requireScope already; decoded here only to read the session claim.
    const claims = decodeJwt(bearer);
    const sid = typeof claims.sid === "string" ? claims.sid : claims.jti;
    return typeof sid === "string" && sid !== "" ? `jwt:${sid.slice(0, 128)}` : null;
  } catch {
    return null;
  }
}

function boundedMetadata(metadata: Record<string, unknown>): Record<string, unknown> {
  const masked = maskSecrets(metadata);
  const text = JSON.stringify(masked);
  return text.length <= MAX_METADATA_CHARS ? masked : { truncated: true, size: text.length };
}

/**
 * Who a refused call came from. A 403 means the credential was verified and lacked the scope, but
 * requireScope sets the principal only on success: verify it again (both verifiers cache per isolate).
 */
async function refusedPrincipal(c: Context<AppEnv>): Promise<Principal | undefined> {
  const credential =
    c.req.header("x-api-key")?.trim() ?? /^Bearer\s+(\S+)\s*$/i.exec(c.req.header("authorization") ?? "")?.[1];
  if (!credential) return undefined;
  try {
    return isApiKey(credential)
      ? await principalFromApiKey(c.env, credential, (work) => c.executionCtx.waitUntil(work))
      : await principalFromJwt(credential, c.env);
  } catch {
    return undefined;
  }
}

/** Writes one audit row; never throws. */
export async function recordAudit(c: Context<AppEnv>, entry: AuditEntry): Promise<void> {
  const principal =
    (c.get("principal") as Principal | undefined) ?? (entry.status === 403 ? await refusedPrincipal(c) : undefined);
  const row = {
    id: crypto.randomUUID(),
    timestampMs: Date.now(),
    userId: principal?.sub ?? "anonymous",
    sessionId: sessionOf(c, principal),
    action: entry.action,
    resource: entry.resource,
    outcome: entry.outcome,
    status: entry.status ?? null,
    error: entry.error === undefined ? null : maskString(entry.error).slice(0, MAX_ERROR_CHARS),
    metadata: boundedMetadata(entry.metadata ?? {}),
    traceId: (c.get("trace") as { traceId: string } | undefined)?.traceId ?? null,
  };
  try {
    await createDb(c.env.DB).insert(chainbotAudit).values(row);
  } catch (err) {
    logFor(c).error("chainbot audit write failed; the request goes on", {
      error: err instanceof Error ? err.message : String(err),
      audit: { ...row, metadata: row.metadata },
    });
  }
}

const details = new WeakMap<Context, Record<string, unknown>>();

/** Adds fields to the metadata `auditTrail` will record for this request (e.g. the keys a PATCH changed). */
export function auditDetail(c: Context<AppEnv>, fields: Record<string, unknown>): void {
  details.set(c, { ...details.get(c), ...fields });
}

export interface AuditTrailOptions {
  /** The resource the request acts on; defaults to the request path. */
  resource?: (c: Context<AppEnv>) => string;
  /** For reads: record only refused or failed calls, so polling does not flood the log. */
  failuresOnly?: boolean;
}

/** Records the request's outcome after it has been answered (a thrown error is already a response here). */
export function auditTrail(action: string, options: AuditTrailOptions = {}): MiddlewareHandler<AppEnv> {
  return async function auditTrailMiddleware(c, next) {
    await next();
    const status = c.res.status;
    const outcome: AuditOutcome = status < 400 ? "success" : "failure";
    if (options.failuresOnly && outcome === "success") return;
    const err = c.error;
    const error =
      err instanceof AppError
        ? `${err.code}: ${err.message}`
        : err instanceof HTTPException
          ? err.message
          : err
            ? "internal error"
            : undefined;
    await recordAudit(c, {
      action,
      resource: options.resource?.(c) ?? c.req.path,
      outcome,
      status,
      metadata: { method: c.req.method, path: c.req.path, ...details.get(c) },
      ...(error === undefined ? {} : { error }),
    });
  };
}
