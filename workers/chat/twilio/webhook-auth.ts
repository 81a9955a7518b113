/**
 * The gate in front of every Twilio webhook: the `X-Twilio-Signature` check (signature.ts) against the
 * configured auth token and public base URL, then the form. Any failure is a 403 before anything is read
 * further or stored; a signed form that is not Twilio's shape is a 400 naming the fields.
 */
import type { Context } from "hono";
import type { AppEnv } from "../../platform/app-env";
import { AppError } from "../../platform/errors";
import type { Parsed } from "./inbound";
import { readTwilioSettings } from "./settings";
import { verifyTwilioRequest } from "./signature";

/** The verified form parameters of a Twilio webhook, or throws 403 (unsigned, mis-signed, not configured). */
export async function verifiedForm(c: Context<AppEnv>): Promise<URLSearchParams> {
  const settings = readTwilioSettings(c.env);
  const verified = await verifyTwilioRequest(c.req.raw, {
    authToken: settings.authToken,
    baseUrl: settings.webhookBaseUrl ?? undefined,
  });
  if (!verified.ok)
    throw new AppError(403, "invalid_twilio_signature", `Twilio signature check failed: ${verified.reason}`, {
      reason: verified.reason,
    });
  if (verified.kind !== "form")
    throw new AppError(415, "unsupported_media_type", "Twilio webhooks here are form-encoded POSTs");
  return verified.params;
}

/** A parsed form, or a 400 in the one error shape naming each bad field. */
export function parsedOrThrow<T>(parsed: Parsed<T>): T {
  if (parsed.ok) return parsed.value;
  const first = parsed.issues[0];
  throw new AppError(400, "invalid_input", `${first?.field ?? "body"}: ${first?.message ?? "invalid"}`, {
    issues: parsed.issues,
  });
}
