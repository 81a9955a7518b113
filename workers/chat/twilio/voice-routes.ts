/**
 * The voice webhooks (seed 003): `POST /voice/inbound` ("a call comes in") greets a bound caller with
 * `<Gather input="speech">`; `POST /voice/inbound/answer` (the gather's action) takes what was said to the
 * model through the bus (voice-turns.ts) and keeps the caller on a `<Pause>`/`<Redirect>` loop to
 * `POST /voice/inbound/wait?turn=…` until the answer is stored, then `<Say>`s it inside the next `<Gather>`.
 * Silence or "goodbye" ends the call with a clean `<Hangup>`; an unbound number hears one sentence and is hung
 * up on. A caller over the founder's `sms` rate bucket (voice turns are surface `sms`) hears one polite
 * sentence and a `<Hangup>` and nothing is queued. Twilio-signed requests only (403 otherwise, nothing stored); all text is XML-escaped by twiml.ts.
 */
import { createRoute, z } from "@hono/zod-openapi";
import type { Context } from "hono";
import type { AppEnv } from "../../platform/app-env";
import { PublishError } from "../../platform/bus/publish";
import { AppError } from "../../platform/errors";
import { errorResponses, ErrorSchema, jsonContent } from "../../platform/openapi";
import { logFor } from "../../platform/logger";
import { rateLimited } from "../../platform/metrics/catalog";
import { increment } from "../../platform/metrics/recorder";
import { formatTraceparent } from "../../platform/trace";
import { createRouter } from "../../platform/validation";
import { takeChatToken } from "../limits/chat-rate";
import { parseInboundCall, type InboundCall } from "./inbound";
import { findBinding, type PhoneBindingRow } from "./phone-bindings";
import { readTwilioSettings } from "./settings";
import { publicWebhookUrl } from "./signature";
import { gather, hangup, pause, redirect, say, twiml, twimlResponse } from "./twiml";
import { pollVoiceTurn, startVoiceTurn } from "./voice-turns";
import { parsedOrThrow, verifiedForm } from "./webhook-auth";

export const VOICE_GREETING = "Hi, this is Wirebot. What can I do for you?";
export const VOICE_UNKNOWN = "Sorry, this number is not linked to a Wirebot assistant. Goodbye.";
export const VOICE_GOODBYE = "Goodbye.";
export const VOICE_RATE_LIMITED =
  "You are asking faster than your assistant can keep up. Please call again in a little while. Goodbye.";
export const VOICE_TOO_SLOW = "Sorry, that is taking too long. Please try again later. Goodbye.";
const ANSWER_PATH = "/voice/inbound/answer";
const WAIT_PATH = "/voice/inbound/wait";
/** Seconds per wait; with MAX_WAITS the caller waits at most about a minute for one answer. */
const WAIT_SECONDS = 2;
const MAX_WAITS = 30;
const FAREWELL = /^(good ?bye|bye|hang up|that'?s all|stop)[.!]?$/i;

/** The URL Twilio must call for `path`: under TWILIO_WEBHOOK_BASE_URL (its path prefix included) when set. */
function publicUrl(c: Context<AppEnv>, path: string): string {
  return publicWebhookUrl(readTwilioSettings(c.env).webhookBaseUrl ?? undefined, new URL(path, c.req.url).toString());
}

const listen = (c: Context<AppEnv>, ...prompts: ReturnType<typeof say>[]) =>
  gather(
    { input: "speech", action: publicUrl(c, ANSWER_PATH), method: "POST", speechTimeout: "auto", timeout: 6 },
    ...prompts,
  );
/** After a gather that heard nothing, Twilio falls through to the next verbs. */
const farewell = () => [say(VOICE_GOODBYE), hangup()];

const twimlContent = { "text/xml": { schema: z.string() } };
const responses = {
  200: { description: "TwiML", content: twimlContent },
  ...errorResponses(400, 403, 404, 415),
  503: { description: "The turn could not be queued", ...jsonContent(ErrorSchema) },
};
const description = "Twilio voice webhook (X-Twilio-Signature; not Bearer-authenticated), form-encoded.";

const inbound = createRoute({
  method: "post",
  path: "/voice/inbound",
  tags: ["chat"],
  summary: "Twilio's incoming-call webhook: a speech <Gather>",
  description,
  responses,
});
const answer = createRoute({
  method: "post",
  path: ANSWER_PATH,
  tags: ["chat"],
  summary: "The <Gather> action: what the caller said goes to the model; the call waits on a <Redirect> loop",
  description,
  responses,
});
const wait = createRoute({
  method: "post",
  path: WAIT_PATH,
  tags: ["chat"],
  summary: "The <Redirect> loop: the answer inside the next <Gather> once ready, else another <Pause>",
  description,
  request: { query: z.object({ turn: z.uuid() }) },
  responses,
});

async function boundCall(c: Context<AppEnv>): Promise<{ call: InboundCall; binding: PhoneBindingRow | null }> {
  const call = parsedOrThrow(parseInboundCall(await verifiedForm(c)));
  return { call, binding: await findBinding(c.env, call.from) };
}

const waitFor = (c: Context<AppEnv>, turn: string) => [
  pause(WAIT_SECONDS),
  redirect(publicUrl(c, `${WAIT_PATH}?turn=${turn}`), { method: "POST" }),
];

export const voiceRoutes = createRouter()
  .openapi(inbound, async (c) => {
    const { binding } = await boundCall(c);
    if (!binding) return twimlResponse(twiml(say(VOICE_UNKNOWN), hangup()));
    return twimlResponse(twiml(listen(c, say(VOICE_GREETING)), ...farewell()));
  })
  .openapi(answer, async (c) => {
    const { call, binding } = await boundCall(c);
    if (!binding) return twimlResponse(twiml(say(VOICE_UNKNOWN), hangup()));
    const speech = call.speechResult;
    if (speech === null || FAREWELL.test(speech)) return twimlResponse(twiml(...farewell()));
    const rate = await takeChatToken(c.env, binding.userId, "sms", logFor(c));
    if (rate && !rate.allowed) {
      increment(rateLimited, { limit: "chat" });
      return twimlResponse(twiml(say(VOICE_RATE_LIMITED), hangup()));
    }
    let turn: string;
    try {
      turn = await startVoiceTurn(
        c.env,
        { callSid: call.callSid, phone: call.from, speech },
        formatTraceparent(c.get("trace")),
      );
    } catch (err) {
      if (err instanceof PublishError) throw new AppError(503, "bus_unavailable", "the turn could not be queued");
      throw err;
    }
    return twimlResponse(twiml(...waitFor(c, turn)));
  })
  .openapi(wait, async (c) => {
    const { turn } = c.req.valid("query");
    const { call } = await boundCall(c);
    const row = await pollVoiceTurn(c.env, turn, call.callSid);
    if (!row) throw new AppError(404, "voice_turn_not_found", "no such turn on this call");
    if (row.answer !== null) return twimlResponse(twiml(listen(c, say(row.answer)), ...farewell()));
    if (row.polls > MAX_WAITS) return twimlResponse(twiml(say(VOICE_TOO_SLOW), hangup()));
    return twimlResponse(twiml(...waitFor(c, turn)));
  });
