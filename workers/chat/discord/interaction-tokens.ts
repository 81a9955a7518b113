/**
 * Where a deferred `/ask` keeps its interaction token until the answer is posted (D1
 * `discord_interaction_tokens`). The token lets anyone holding it post as the bot to that interaction for 15
 * minutes, so it stays out of the bus event (whose history `events:read` can read); the handler fetches it
 * by interaction id and forgets it once the answer went out. The row also keeps the answer once the turn
 * produced it, so a redelivered event re-posts that answer instead of asking the model again. Expired rows
 * are swept on each save.
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

export interface PendingInteraction {
  token: string;
  /** The answer a previous delivery produced, not yet known to be posted. */
  answer: string | null;
}

/** The interaction's token (and answer, once made) while the token is still good; null once expired or forgotten. */
export async function pendingInteraction(
  env: Env,
  interactionId: string,
  now: number,
): Promise<PendingInteraction | null> {
  const rows = await createDb(env.DB)
    .select({ token: discordInteractionTokens.token, answer: discordInteractionTokens.answer })
    .from(discordInteractionTokens)
    .where(and(eq(discordInteractionTokens.interactionId, interactionId), gt(discordInteractionTokens.expiresAt, now)))
    .limit(1);
  return rows[0] ?? null;
}

export async function keepInteractionAnswer(env: Env, interactionId: string, answer: string): Promise<void> {
  await createDb(env.DB)
    .update(discordInteractionTokens)
    .set({ answer })
    .where(eq(discordInteractionTokens.interactionId, interactionId));
}

export async function forgetInteractionToken(env: Env, interactionId: string): Promise<void> {
  await createDb(env.DB)
    .delete(discordInteractionTokens)
    .where(eq(discordInteractionTokens.interactionId, interactionId));
}
