/**
 * `POST /sms/inbound`, Twilio's "a message comes in" webhook (seed 003 surface `sms`). Signed requests only
 * (403 otherwise, nothing stored). An unbound number gets one polite reply and nothing else; STOP records
 * the opt-out and answers nothing, START lifts it, HELP gets a fixed text. Anything else is answered at once
 * with an empty `<Response/>` (Twilio waits at most 15 s) and handed to the bus (sms-accept.ts): the reply
 * is produced and sent by the bus handler (sms-reply.ts), so a crash here or there loses nothing.
 */
import { createRoute, z } from "@hono/zod-openapi";
import { PublishError } from "../../platform/bus/publish";
import { AppError } from "../../platform/errors";
import { errorResponses, ErrorSchema, jsonContent } from "../../platform/openapi";
import { logFor } from "../../platform/logger";
import { formatTraceparent } from "../../platform/trace";
import { createRouter } from "../../platform/validation";
import { SMS_RATE_LIMITED_REPLY, smsRateDecision } from "../limits/sms-notice";
import { maskPhones } from "../mask";
import { parseInboundSms } from "./inbound";
import { findBinding, setOptOut } from "./phone-bindings";
import { acceptSms } from "./sms-accept";
import { message, twiml, twimlResponse } from "./twiml";
import { parsedOrThrow, verifiedForm } from "./webhook-auth";

export const UNKNOWN_NUMBER_REPLY =
  "Sorry, this number is not linked to a Wirebot assistant. Ask your workspace admin to add it.";
export const HELP_REPLY =
  "Wirebot: text your question and your assistant replies here. Reply STOP to stop messages, START to resume. Msg&data rates may apply.";

const twimlContent = { "text/xml": { schema: z.string() } };

const inbound = createRoute({
  method: "post",
  path: "/sms/inbound",
  tags: ["chat"],
  summary: "Twilio's inbound SMS webhook (X-Twilio-Signature; not Bearer-authenticated)",
  description:
    "Form-encoded as Twilio sends it. Answers TwiML at once; the assistant's reply follows through the Twilio REST API.",
  responses: {
    200: {
      description: "TwiML: empty, or one `<Message>` (unknown number, HELP, the first message over the rate limit)",
      content: twimlContent,
    },
    ...errorResponses(400, 403, 415),
    503: { description: "The message could not be queued; Twilio retries", ...jsonContent(ErrorSchema) },
  },
});

export const smsRoutes = createRouter().openapi(inbound, async (c) => {
  const sms = parsedOrThrow(parseInboundSms(await verifiedForm(c)));
  const log = logFor(c);
  const binding = await findBinding(c.env, sms.from);
  if (!binding) {
    log.info("sms from an unbound number", { from: maskPhones(sms.from), message_sid: sms.messageSid });
    return twimlResponse(twiml(message(UNKNOWN_NUMBER_REPLY)));
  }
  switch (sms.keyword) {
    case "stop":
      await setOptOut(c.env, sms.from, binding.optedOutAt ?? Date.now());
      return twimlResponse(twiml());
    case "start":
      await setOptOut(c.env, sms.from, null);
      return twimlResponse(twiml());
    case "help":
      return twimlResponse(twiml(message(HELP_REPLY)));
    case null:
      break;
  }
  // An opted-out number cannot be messaged (Twilio refuses with 21610): nothing to produce.
  if (binding.optedOutAt !== null) return twimlResponse(twiml());
  const rate = await smsRateDecision(c.env, binding.userId, sms.messageSid, log);
  if (rate !== "pass") return twimlResponse(rate === "notify" ? twiml(message(SMS_RATE_LIMITED_REPLY)) : twiml());
  try {
    await acceptSms(c.env, sms, formatTraceparent(c.get("trace")));
  } catch (err) {
    // Not accepted: a 503 makes Twilio's retry (or its fallback URL) try again; the row keeps the event id.
    if (err instanceof PublishError) throw new AppError(503, "bus_unavailable", "the message could not be queued");
    throw err;
  }
  return twimlResponse(twiml());
});
