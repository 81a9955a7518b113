/**
 * The Discord identity bindings (D1 `discord_bindings`): which founder (`user_id`) and workspace a Discord
 * user talks as, and the trust mode its sessions open at (never above the `discord` surface's ceiling). A
 * binding for the interaction's guild wins over the user's any-guild binding (guild "").
 */
import { and, asc, eq, inArray } from "drizzle-orm";
import { createDb } from "../../platform/db/client";
import { discordBindings, type DiscordBindingRow } from "../../platform/db/schema";
import type { Env } from "../../platform/env";
import { ceilingFor, type TrustMode } from "../surfaces";

export interface DiscordBinding {
  discord_user_id: string;
  guild_id: string | null;
  user_id: string;
  workspace_id: string;
  trust_mode: number;
  /** What `/ask` sessions actually open at: trust_mode capped by the `discord` surface policy. */
  effective_trust_mode: TrustMode;
  created_at: string;
  updated_at: string;
}

/** The trust mode a Discord session of this binding opens at: the binding's, capped by the surface. */
export function discordCeiling(row: Pick<DiscordBindingRow, "trustMode">): TrustMode {
  return ceilingFor(row.trustMode as TrustMode, "discord");
}

export function bindingView(row: DiscordBindingRow): DiscordBinding {
  return {
    discord_user_id: row.discordUserId,
    guild_id: row.guildId === "" ? null : row.guildId,
    user_id: row.userId,
    workspace_id: row.workspaceId,
    trust_mode: row.trustMode,
    effective_trust_mode: discordCeiling(row),
    created_at: new Date(row.createdAt).toISOString(),
    updated_at: new Date(row.updatedAt).toISOString(),
  };
}

/** Creates or replaces a binding; `created` says which. */
export async function putBinding(
  env: Pick<Env, "DB">,
  input: { discordUserId: string; guildId: string | null; userId: string; workspaceId: string; trustMode: TrustMode },
  now = Date.now(),
): Promise<{ binding: DiscordBinding; created: boolean }> {
  const db = createDb(env.DB);
  const guildId = input.guildId ?? "";
  const key = and(eq(discordBindings.discordUserId, input.discordUserId), eq(discordBindings.guildId, guildId));
  const existing = await db.select().from(discordBindings).where(key).limit(1);
  const row: DiscordBindingRow = {
    discordUserId: input.discordUserId,
    guildId,
    userId: input.userId,
    workspaceId: input.workspaceId,
    trustMode: input.trustMode,
    createdAt: existing[0]?.createdAt ?? now,
    updatedAt: now,
  };
  await db
    .insert(discordBindings)
    .values(row)
    .onConflictDoUpdate({
      target: [discordBindings.discordUserId, discordBindings.guildId],
      set: { userId: row.userId, workspaceId: row.workspaceId, trustMode: row.trustMode, updatedAt: now },
    });
  return { binding: bindingView(row), created: existing.length === 0 };
}

/** Removes one binding; false when there was none. */
export async function deleteBinding(
  env: Pick<Env, "DB">,
  discordUserId: string,
  guildId: string | null,
): Promise<boolean> {
  const rows = await createDb(env.DB)
    .delete(discordBindings)
    .where(and(eq(discordBindings.discordUserId, discordUserId), eq(discordBindings.guildId, guildId ?? "")))
    .returning();
  return rows.length > 0;
}

export async function listBindings(env: Pick<Env, "DB">, limit: number): Promise<DiscordBinding[]> {
  const rows = await createDb(env.DB)
    .select()
    .from(discordBindings)
    .orderBy(asc(discordBindings.discordUserId), asc(discordBindings.guildId))
    .limit(limit);
  return rows.map(bindingView);
}

/** The binding a Discord user asks under in `guildId` (null: a DM): the guild's own first, then any-guild. */
export async function resolveBinding(
  env: Pick<Env, "DB">,
  discordUserId: string,
  guildId: string | null,
): Promise<DiscordBindingRow | null> {
  const guilds = guildId ? [guildId, ""] : [""];
  const rows = await createDb(env.DB)
    .select()
    .from(discordBindings)
    .where(and(eq(discordBindings.discordUserId, discordUserId), inArray(discordBindings.guildId, guilds)));
  return rows.find((r) => r.guildId !== "") ?? rows[0] ?? null;
}
