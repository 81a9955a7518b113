/**
 * The Twilio vars, read with the project's config policy (workers/platform/config.ts): blank means the
 * documented default, and a set but unusable URL falls back to its default and is reported as a
 * `ConfigProblem` (for /health), never a 500. `authToken` null means Twilio is not configured: the routes
 * then refuse every webhook (403), since nothing can be verified.
 */
import type { ConfigProblem } from "../../platform/var-parsers";
import { DEFAULT_TWILIO_API_BASE_URL } from "./messages-client";

export interface TwilioVars {
  TWILIO_ACCOUNT_SID?: string | undefined;
  TWILIO_AUTH_TOKEN?: string | undefined;
  TWILIO_FROM_NUMBER?: string | undefined;
  TWILIO_MESSAGING_SERVICE_SID?: string | undefined;
  TWILIO_WEBHOOK_BASE_URL?: string | undefined;
  TWILIO_API_BASE_URL?: string | undefined;
}

export interface TwilioSettings {
  accountSid: string | null;
  authToken: string | null;
  from: string | null;
  messagingServiceSid: string | null;
  /** The public origin (and path prefix) Twilio calls; null: the request's own URL. */
  webhookBaseUrl: string | null;
  apiBaseUrl: string;
  problems: ConfigProblem[];
}

function present(value: string | undefined): string | null {
  const trimmed = value?.trim() ?? "";
  return trimmed === "" ? null : trimmed;
}

/** An http(s) URL var: its value, or the fallback plus a problem naming it. */
export function readUrlVar<T extends string | null>(
  name: string,
  raw: string | undefined,
  fallback: T,
  problems: ConfigProblem[],
): string | T {
  const value = present(raw);
  if (value === null) return fallback;
  try {
    const url = new URL(value);
    if ((url.protocol === "https:" || url.protocol === "http:") && url.search === "" && url.hash === "") return value;
  } catch {}
  problems.push({
    name,
    value,
    message: `"${value}" is not an http(s) URL without query or fragment`,
    fallback: fallback ?? "(unset)",
  });
  return fallback;
}

export function readTwilioSettings(vars: TwilioVars): TwilioSettings {
  const problems: ConfigProblem[] = [];
  return {
    accountSid: present(vars.TWILIO_ACCOUNT_SID),
    authToken: present(vars.TWILIO_AUTH_TOKEN),
    from: present(vars.TWILIO_FROM_NUMBER),
    messagingServiceSid: present(vars.TWILIO_MESSAGING_SERVICE_SID),
    webhookBaseUrl: readUrlVar("TWILIO_WEBHOOK_BASE_URL", vars.TWILIO_WEBHOOK_BASE_URL, null, problems),
    apiBaseUrl: readUrlVar("TWILIO_API_BASE_URL", vars.TWILIO_API_BASE_URL, DEFAULT_TWILIO_API_BASE_URL, problems),
    problems,
  };
}
