/**
 * The chat gateway's claims (seed 003 "Authentication Flow"), read from a token the platform verifier has
 * already accepted: `user_id` (or `sub`), `workspace_id`, `trust_mode_max` (0–3), `scopes`, `surfaces`.
 * A token without `trust_mode_max` gets mode 0; without `surfaces`, every surface (each still capped by its
 * policy); without `workspace_id`, the founder's personal workspace (its id is the founder's).
 */
import { decodeJwt } from "jose";
import { z } from "zod";
import type { Principal } from "../platform/app-env";
import { AppError } from "../platform/errors";
import { type Surface, SurfaceSchema, type TrustMode } from "./surfaces";

const ClaimsSchema = z.object({
  user_id: z.string().min(1).max(128).optional(),
  workspace_id: z.string().min(1).max(128).optional(),
  trust_mode_max: z.number().int().min(0).max(3).optional(),
  surfaces: z.array(SurfaceSchema).optional(),
});

export interface ChatCaller {
  founderId: string;
  workspaceId: string;
  trustModeMax: TrustMode;
  scopes: readonly string[];
  /** null: the token names no surfaces, so none is refused by the token itself. */
  surfaces: readonly Surface[] | null;
  credential: string;
}

export function callerFromToken(token: string, principal: Principal): ChatCaller {
  const parsed = ClaimsSchema.safeParse(decodeJwt(token));
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    const claim = issue?.path.map(String).join(".") ?? "claims";
    throw new AppError(401, "invalid_claims", `token claim '${claim}' invalid: ${issue?.message ?? "invalid"}`, {
      claim,
    });
  }
  const claims = parsed.data;
  const founderId = claims.user_id ?? principal.sub;
  return {
    founderId,
    workspaceId: claims.workspace_id ?? founderId,
    trustModeMax: (claims.trust_mode_max ?? 0) as TrustMode,
    scopes: principal.scopes,
    surfaces: claims.surfaces ?? null,
    credential: token,
  };
}
