/**
 * Where a deferred `/ask` keeps its interaction token until the answer is posted (D1
 * `discord_interaction_tokens`). The token lets anyone holding it post as the bot to that interaction for 15
 * minutes, so it stays out of the bus event (whose history `events:read` can read); the handler fetches it
 * by interaction id and forgets it once the answer went out. Expired rows are swept on each save.
 */
import { and, eq, gt, lte } from "drizzle-orm";
import { createDb } from "../../platform/db/client";
import { discordInteractionTokens } from "../../platform/db/schema";
import type { Env } from "../../platform/env";

/** Discord's own lifetime for an interaction token. */
export const INTERACTION_TOKEN_TTL_MS = 15 * 60_000;

export async function saveInteractionToken(env: Env, interactionId: string, token: string, now: number) {
  const db = createDb(env.DB);
  await db.batch([
    db.delete(discordInteractionTokens).where(lte(discordInteractionTokens.expiresAt, now)),
    db
      .insert(discordInteractionTokens)
      .values({ interactionId, token, expiresAt: now + INTERACTION_TOKEN_TTL_MS })
      .onConflictDoUpdate({
        target: discordInteractionTokens.interactionId,
        set: { token, expiresAt: now + INTERACTION_TOKEN_TTL_MS },
      }),
  ]);
}

/** The interaction's token while it is still good; null once expired or forgotten. */
export async function interactionToken(env: Env, interactionId: string, now: number): Promise<string | null> {
  const rows = await createDb(env.DB)
    .select({ token: discordInteractionTokens.token })
    .from(discordInteractionTokens)
    .where(and(eq(discordInteractionTokens.interactionId, interactionId), gt(discordInteractionTokens.expiresAt, now)))
    .limit(1);
  return rows[0]?.token ?? null;
}

export async function forgetInteractionToken(env: Env, interactionId: string): Promise<void> {
  await createDb(env.DB)
    .delete(discordInteractionTokens)
    .where(eq(discordInteractionTokens.interactionId, interactionId));
}
