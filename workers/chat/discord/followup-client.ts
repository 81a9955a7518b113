/**
 * Answers a deferred Discord interaction through the webhook API (no bot token: the interaction token in the
 * path is the credential, valid 15 minutes): `PATCH {base}/webhooks/{application_id}/{token}/messages/@original`
 * replaces the "thinking…" message, `POST {base}/webhooks/{application_id}/{token}` adds a follow-up. Content
 * is capped at 2,000 characters per message, so a long answer becomes the original plus follow-ups, cut at a
 * line or word boundary. Mentions are disabled (`allowed_mentions.parse = []`): model text never pings anyone.
 * Discord's error body `{code, message}` and 429 `retry_after` become a typed failure.
 */
import { z } from "zod";

export const DEFAULT_DISCORD_API_BASE_URL = "https://discord.com/api/v10";
export const DISCORD_MAX_CONTENT = 2000;

export interface DiscordWebhookConfig {
  /** `DISCORD_API_BASE_URL`, with its version; tests point it at a local fake. */
  baseUrl?: string | undefined;
  fetch?: typeof fetch;
}

export interface InteractionTarget {
  applicationId: string;
  token: string;
}

export type DiscordFailureKind =
  "invalid_request" | "unknown_webhook" | "auth" | "rate_limited" | "server" | "network" | "malformed_response";

export interface DiscordFailure {
  kind: DiscordFailureKind;
  retryable: boolean;
  status: number | null;
  /** Discord's JSON error code (e.g. 10015 Unknown Webhook, 50035 Invalid Form Body). */
  code: number | null;
  message: string;
  retryAfterMs: number | null;
}

export type DiscordResult =
  { ok: true; messageIds: string[] } | { ok: false; failure: DiscordFailure; messageIds: string[] };

const messageResource = z.object({ id: z.string().min(1) });
const errorResource = z.object({
  code: z.number().int().nullish(),
  message: z.string().nullish(),
  retry_after: z.number().nullish(),
});

function webhookUrl(config: DiscordWebhookConfig, target: InteractionTarget, suffix = ""): string {
  const base = (config.baseUrl || DEFAULT_DISCORD_API_BASE_URL).replace(/\/+$/, "");
  return `${base}/webhooks/${encodeURIComponent(target.applicationId)}/${encodeURIComponent(target.token)}${suffix}`;
}

async function failureOf(response: Response): Promise<DiscordFailure> {
  const text = await response.text();
  let parsed: z.infer<typeof errorResource> = {};
  try {
    const result = errorResource.safeParse(JSON.parse(text));
    if (result.success) parsed = result.data;
  } catch {}
  const status = response.status;
  const code = parsed.code ?? null;
  const kind: DiscordFailureKind =
    status === 429
      ? "rate_limited"
      : status >= 500
        ? "server"
        : status === 404 || code === 10015
          ? "unknown_webhook"
          : status === 401 || status === 403
            ? "auth"
            : "invalid_request";
  const header = Number(response.headers.get("retry-after") ?? Number.NaN);
  const retryAfterS = parsed.retry_after ?? (Number.isFinite(header) ? header : null);
  return {
    kind,
    retryable: kind === "rate_limited" || kind === "server",
    status,
    code,
    message: parsed.message ?? (text.slice(0, 200) || `HTTP ${status}`),
    retryAfterMs: retryAfterS === null ? null : Math.ceil(retryAfterS * 1000),
  };
}

async function send(
  config: DiscordWebhookConfig,
  method: "POST" | "PATCH",
  url: string,
  content: string,
): Promise<{ ok: true; id: string } | { ok: false; failure: DiscordFailure }> {
  const local = (kind: "network" | "malformed_response", message: string, status: number | null) => ({
    ok: false as const,
    failure: { kind, retryable: kind === "network", status, code: null, message, retryAfterMs: null },
  });
  let response: Response;
  try {
    response = await (config.fetch ?? fetch)(url, {
      method,
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ content, allowed_mentions: { parse: [] } }),
    });
  } catch (err) {
    return local("network", `Discord unreachable: ${String(err)}`, null);
  }
  if (!response.ok) return { ok: false, failure: await failureOf(response) };
  try {
    const parsed = messageResource.safeParse(await response.json());
    if (parsed.success) return { ok: true, id: parsed.data.id };
  } catch {}
  return local("malformed_response", "Discord answered without a message id", response.status);
}

/** Replaces the deferred "thinking…" message with `content` (≤ 2,000 characters). */
export async function editOriginal(config: DiscordWebhookConfig, target: InteractionTarget, content: string) {
  return send(config, "PATCH", webhookUrl(config, target, "/messages/@original"), content);
}

/** Posts one follow-up message (≤ 2,000 characters). */
export async function createFollowup(config: DiscordWebhookConfig, target: InteractionTarget, content: string) {
  return send(config, "POST", webhookUrl(config, target), content);
}

/** Cuts text into pieces of at most `max` code points, at the last newline or space in the second half. */
export function splitDiscordContent(text: string, max = DISCORD_MAX_CONTENT): string[] {
  const pieces: string[] = [];
  let rest = Array.from(text.trim());
  while (rest.length > 0) {
    if (rest.length <= max) {
      pieces.push(rest.join(""));
      break;
    }
    const window = rest.slice(0, max);
    let cut = max;
    for (const sep of ["\n", " "]) {
      const at = window.lastIndexOf(sep);
      if (at > max / 2) {
        cut = at;
        break;
      }
    }
    pieces.push(window.slice(0, cut).join("").trimEnd());
    rest = Array.from(rest.slice(cut).join("").trimStart());
  }
  return pieces.filter((p) => p !== "");
}

/**
 * The whole answer to a deferred `/ask`: the first piece edits the original, the rest follow in order; stops
 * at the first failure (`messageIds` lists what was already posted).
 */
export async function sendInteractionAnswer(
  config: DiscordWebhookConfig,
  target: InteractionTarget,
  text: string,
): Promise<DiscordResult> {
  const pieces = splitDiscordContent(text);
  const messageIds: string[] = [];
  for (const [index, piece] of (pieces.length > 0 ? pieces : ["(no answer)"]).entries()) {
    const result =
      index === 0 ? await editOriginal(config, target, piece) : await createFollowup(config, target, piece);
    if (!result.ok) return { ok: false, failure: result.failure, messageIds };
    messageIds.push(result.id);
  }
  return { ok: true, messageIds };
}
