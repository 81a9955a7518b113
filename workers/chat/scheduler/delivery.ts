/**
 * Where a scheduled prompt goes: the founder's preferred surface. `sms` sends the reply through the Twilio
 * REST Messages API to the founder's bound phone; `web` announces it on the bus (`chat.scheduled.prompt.v1`)
 * for open sockets — without the text, which stays in the session and the transcript, because the bus can be
 * read with `events:read` and a mode-3 reply must not leave its namespace. Mode-3 (`wbs`) jobs never go by SMS.
 */
import { and, eq, isNull } from "drizzle-orm";
import { createEvent } from "../../platform/bus/envelope";
import { publish } from "../../platform/bus/publish";
import { createDb } from "../../platform/db/client";
import { phoneBindings } from "../../platform/db/schema";
import type { Env } from "../../platform/env";
import type { Logger } from "../../platform/logger";
import { maskPhones } from "../mask";
import { sendSms } from "../twilio/messages-client";
import { setOptOut, type PhoneBindingRow } from "../twilio/phone-bindings";
import { readTwilioSettings } from "../twilio/settings";
import type { JobRow, PromptSurface } from "./job-store";

export const SCHEDULED_PROMPT = "chat.scheduled.prompt.v1";

export type Route = { surface: "sms"; binding: PhoneBindingRow } | { surface: "web" };

/** The founder's bound phone for this workspace, when it may be messaged. */
async function boundPhone(env: Pick<Env, "DB">, job: JobRow): Promise<PhoneBindingRow | null> {
  const [row] = await createDb(env.DB)
    .select()
    .from(phoneBindings)
    .where(
      and(
        eq(phoneBindings.userId, job.founderId),
        eq(phoneBindings.workspaceId, job.workspaceId),
        isNull(phoneBindings.optedOutAt),
      ),
    )
    .orderBy(phoneBindings.phone)
    .limit(1);
  return row ?? null;
}

/** SMS when preferred, allowed for the namespace and a phone is bound (and not opted out); otherwise web. */
export async function routeFor(env: Pick<Env, "DB">, job: JobRow, preferred: PromptSurface): Promise<Route> {
  if (preferred !== "sms" || job.namespace !== "wb") return { surface: "web" };
  const binding = await boundPhone(env, job);
  return binding ? { surface: "sms", binding } : { surface: "web" };
}

export interface Delivery {
  surface: PromptSurface;
  delivered: boolean;
  detail?: string;
}

export async function deliver(
  env: Env,
  log: Logger,
  job: JobRow,
  route: Route,
  turn: { sessionId: string; reply: string },
  traceparent: string,
): Promise<Delivery> {
  if (route.surface === "web") {
    await publish(env, [
      createEvent({
        type: SCHEDULED_PROMPT,
        source: "chat",
        payload: {
          job_id: job.id,
          job_type: job.type,
          founder_id: job.founderId,
          workspace_id: job.workspaceId,
          namespace: job.namespace,
          session_id: turn.sessionId,
          /** The due time this run answers (the claimed `next_run`). */
          due_at: job.nextRun === null ? null : new Date(job.nextRun).toISOString(),
        },
        correlationId: `chat-job:${job.id}`,
        traceparent: traceparent || undefined,
      }),
    ]);
    return { surface: "web", delivered: true };
  }
  const settings = readTwilioSettings(env);
  if (!settings.accountSid || !settings.authToken || (!settings.from && !settings.messagingServiceSid))
    return { surface: "sms", delivered: false, detail: "Twilio is not configured" };
  const sender = settings.messagingServiceSid
    ? { messagingServiceSid: settings.messagingServiceSid }
    : { from: settings.from ?? "" };
  const sent = await sendSms(
    { accountSid: settings.accountSid, authToken: settings.authToken, baseUrl: settings.apiBaseUrl },
    { ...sender, to: route.binding.phone, body: turn.reply },
  );
  if (sent.ok) return { surface: "sms", delivered: true };
  // Twilio says the number replied STOP outside our webhook: remember it, as the SMS reply handler does.
  if (sent.failure.kind === "opted_out") await setOptOut(env, route.binding.phone, Date.now());
  log.warn("scheduled prompt not (fully) sent", {
    job_id: job.id,
    phone: maskPhones(route.binding.phone),
    kind: sent.failure.kind,
    code: sent.failure.code,
  });
  return { surface: "sms", delivered: false, detail: `${sent.failure.kind}: ${sent.failure.message}` };
}
