/**
 * JWT verification with jose: HS256 against AUTH_JWT_SECRET, or asymmetric keys from AUTH_JWKS_URL.
 * `exp` and a non-empty `sub` are required (the subject keys rate limits and audit, so tokens must not share
 * one); `iss`/`aud` are checked when configured. A refusal never says which settings are configured: a token
 * for an algorithm this deployment has no key for, or failing a configured `iss`/`aud`, is just "invalid
 * token". Verified tokens are cached in the isolate until shortly before they expire, so the hot path does
 * one map lookup instead of an HMAC.
 */
import { createRemoteJWKSet, decodeProtectedHeader, errors, jwtVerify, type JWTPayload } from "jose";
import type { Principal } from "../app-env";
import type { Env } from "../env";
import { AppError } from "../errors";
import { scopesFromClaims } from "./scopes";

const CACHE_LIMIT = 2000;
const CACHE_MAX_MS = 60_000;
const verified = new Map<string, { principal: Principal; until: number }>();
const jwksByUrl = new Map<string, ReturnType<typeof createRemoteJWKSet>>();
const encoder = new TextEncoder();
/** Claims whose check depends on configuration: naming them in a refusal would describe the server's setup. */
const CONFIGURED_CLAIMS = new Set(["iss", "aud"]);

function jwks(url: string): ReturnType<typeof createRemoteJWKSet> {
  let set = jwksByUrl.get(url);
  if (!set) {
    set = createRemoteJWKSet(new URL(url), { cooldownDuration: 30_000, cacheMaxAge: 600_000 });
    jwksByUrl.set(url, set);
  }
  return set;
}

function unauthorized(message: string): AppError {
  return new AppError(401, "unauthorized", message, undefined, { "WWW-Authenticate": 'Bearer error="invalid_token"' });
}

async function verify(token: string, env: Env): Promise<JWTPayload> {
  const options = {
    requiredClaims: ["exp"],
    ...(env.AUTH_JWT_ISSUER ? { issuer: env.AUTH_JWT_ISSUER } : {}),
    ...(env.AUTH_JWT_AUDIENCE ? { audience: env.AUTH_JWT_AUDIENCE } : {}),
  };
  let alg: string | undefined;
  try {
    alg = decodeProtectedHeader(token).alg;
  } catch {
    throw unauthorized("malformed token");
  }
  try {
    if (alg === "HS256") {
      if (!env.AUTH_JWT_SECRET) throw unauthorized("invalid token");
      const key = encoder.encode(env.AUTH_JWT_SECRET);
      return (await jwtVerify(token, key, { ...options, algorithms: ["HS256"] })).payload;
    }
    if (!env.AUTH_JWKS_URL) throw unauthorized("invalid token");
    const algorithms = ["RS256", "ES256", "PS256", "EdDSA"];
    return (await jwtVerify(token, jwks(env.AUTH_JWKS_URL), { ...options, algorithms })).payload;
  } catch (err) {
    if (err instanceof AppError) throw err;
    if (err instanceof errors.JWTExpired) throw unauthorized("token expired");
    if (err instanceof errors.JWTClaimValidationFailed)
      throw unauthorized(CONFIGURED_CLAIMS.has(err.claim) ? "invalid token" : `token claim '${err.claim}' invalid`);
    if (err instanceof errors.JOSEError) throw unauthorized("invalid token");
    throw err;
  }
}

/** Verifies a JWT and returns who it speaks for; 401 for anything wrong with it. */
export async function principalFromJwt(token: string, env: Env, now = Date.now()): Promise<Principal> {
  const hit = verified.get(token);
  if (hit && hit.until > now) return hit.principal;
  const claims = await verify(token, env);
  if (typeof claims.sub !== "string" || claims.sub.trim() === "") throw unauthorized("token has no subject (sub)");
  const principal: Principal = {
    kind: "jwt",
    sub: claims.sub,
    scopes: scopesFromClaims(claims),
    ...(typeof claims.workspace_id === "string" ? { workspaceId: claims.workspace_id } : {}),
  };
  const exp = typeof claims.exp === "number" ? claims.exp * 1000 : now;
  if (verified.size >= CACHE_LIMIT) verified.clear();
  verified.set(token, { principal, until: Math.min(exp, now + CACHE_MAX_MS) });
  return principal;
}
