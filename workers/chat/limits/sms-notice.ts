/**
 * SMS has no 429: a founder over the `sms` limit gets one polite text instead, and while the limit lasts
 * further messages are dropped silently (no second apology per message). "Once" is per limited stretch: the
 * notice row holds until when the founder was told, claimed in one conditional upsert so two messages
 * arriving together cannot both win it. A Twilio retry of a message already accepted spends no token.
 */
import { eq, sql } from "drizzle-orm";
import { createDb } from "../../platform/db/client";
import { chatRateNotices, smsInbound } from "../../platform/db/schema";
import type { Env } from "../../platform/env";
import type { Logger } from "../../platform/logger";
import { rateLimited } from "../../platform/metrics/catalog";
import { increment } from "../../platform/metrics/recorder";
import { chatRateKey, retryAfterSeconds, takeChatToken } from "./chat-rate";

export const SMS_RATE_LIMITED_REPLY =
  "You're sending messages faster than your assistant can keep up. Please wait a little and text again.";

/** `pass`: answer the message; `notify`: reply with the polite text; `silent`: already told, drop it. */
export type SmsRateDecision = "pass" | "notify" | "silent";

export async function smsRateDecision(
  env: Env,
  founderId: string,
  messageSid: string,
  log: Logger,
): Promise<SmsRateDecision> {
  // Twilio's retry of a webhook already accepted is the same message: it has had its token.
  const [seen] = await createDb(env.DB)
    .select({ sid: smsInbound.messageSid })
    .from(smsInbound)
    .where(eq(smsInbound.messageSid, messageSid));
  if (seen) return "pass";
  const result = await takeChatToken(env, founderId, "sms", log);
  if (!result || result.allowed) return "pass";
  increment(rateLimited, { limit: "chat" });
  const key = chatRateKey(founderId, "sms");
  const now = Date.now();
  const until = now + retryAfterSeconds(result) * 1000;
  const claimed = await createDb(env.DB)
    .insert(chatRateNotices)
    .values({ key, until })
    .onConflictDoUpdate({
      target: chatRateNotices.key,
      set: { until },
      setWhere: sql`${chatRateNotices.until} <= ${now}`,
    })
    .returning({ key: chatRateNotices.key });
  log.info("sms over the chat rate limit", { founder_id: founderId, notified: claimed.length > 0 });
  return claimed.length > 0 ? "notify" : "silent";
}
