/**
 * The one table of chat surfaces (seed 003 `Session.surface`) and each one's policy: which tools the model
 * may be offered there, the highest trust mode a session on it may reach whatever the token allows, the
 * longest reply, and whether replies may use markdown. The README shows this table.
 */
import { z } from "zod";

export const SURFACES = ["web", "extension", "sms", "discord"] as const;
export type Surface = (typeof SURFACES)[number];
export const SurfaceSchema = z.enum(SURFACES);

export type TrustMode = 0 | 1 | 2 | 3;

export interface SurfacePolicy {
  /** Tool names offered on this surface; `"all"` offers the whole registry. */
  allowedTools: "all" | readonly string[];
  maxTrustMode: TrustMode;
  /** Replies longer than this many characters are cut (SMS segments, Discord's message limit). */
  replyLength: number;
  format: "markdown" | "plain";
}

const READ_TOOLS = ["get_business_profile", "list_goals", "list_checklists", "read_summaries"] as const;

export const SURFACE_POLICIES: Record<Surface, SurfacePolicy> = {
  web: { allowedTools: "all", maxTrustMode: 3, replyLength: 8000, format: "markdown" },
  extension: { allowedTools: "all", maxTrustMode: 2, replyLength: 4000, format: "markdown" },
  sms: { allowedTools: READ_TOOLS, maxTrustMode: 1, replyLength: 1600, format: "plain" },
  discord: { allowedTools: READ_TOOLS, maxTrustMode: 1, replyLength: 2000, format: "markdown" },
};

export function toolAllowedOn(surface: Surface, tool: string): boolean {
  const allowed = SURFACE_POLICIES[surface].allowedTools;
  return allowed === "all" || allowed.includes(tool);
}

/** The session's trust ceiling: the token's `trust_mode_max`, capped by the surface's policy. */
export function ceilingFor(trustModeMax: TrustMode, surface: Surface): TrustMode {
  return Math.min(trustModeMax, SURFACE_POLICIES[surface].maxTrustMode) as TrustMode;
}

/** Mode 3 (Sovereign) lives in the seed's `wbs:*` namespace; every lower mode in `wb:*`. */
export function namespaceOf(trustMode: TrustMode): "wb" | "wbs" {
  return trustMode === 3 ? "wbs" : "wb";
}
