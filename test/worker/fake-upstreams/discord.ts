/**
 * Fake Discord interaction webhooks: `POST /discord/api/v10/webhooks/{application_id}/{token}` (create a
 * follow-up) and `PATCH …/{token}/messages/@original` (edit the deferred reply), JSON in, the Message object
 * out (200), as Discord answers. Configure clients with base URL `${origin}/discord/api/v10`.
 *
 * Behaviour by the interaction token: `fake-unknown…` → 404 `{message: "Unknown Webhook", code: 10015}`;
 * `fake-429…` → 429 `{message, retry_after: 1.5, global: false}` with `Retry-After: 2`; `fake-500…` → 500;
 * `fake-flaky…` → 500 the first time that token is used, then as usual (a transient failure).
 * Content over 2,000 characters is Discord's 400 50035 "Invalid Form Body".
 */
import { randomInt } from "node:crypto";
import type { IncomingHttpHeaders, ServerResponse } from "node:http";
import { sendJson } from "./behaviour.ts";

const flaked = new Set<string>();

export function handleDiscord(
  method: string,
  path: string,
  headers: IncomingHttpHeaders,
  body: Record<string, unknown>,
  res: ServerResponse,
): void {
  const m = /^\/discord\/api\/v10\/webhooks\/(\d+)\/([^/]+)(\/messages\/@original)?$/.exec(path);
  if (!m?.[1] || !m[2] || (m[3] ? method !== "PATCH" : method !== "POST"))
    return sendJson(res, 404, { message: "404: Not Found", code: 0 });
  const token = decodeURIComponent(m[2]);
  if (token.startsWith("fake-unknown")) return sendJson(res, 404, { message: "Unknown Webhook", code: 10015 });
  if (token.startsWith("fake-429"))
    return sendJson(
      res,
      429,
      { message: "You are being rate limited.", retry_after: 1.5, global: false },
      { "retry-after": "2" },
    );
  if (token.startsWith("fake-500")) return sendJson(res, 500, { message: "500: Internal Server Error", code: 0 });
  if (token.startsWith("fake-flaky") && !flaked.has(token)) {
    flaked.add(token);
    return sendJson(res, 500, { message: "500: Internal Server Error", code: 0 });
  }
  if (!(headers["content-type"] ?? "").startsWith("application/json"))
    return sendJson(res, 400, { message: "Cannot send an empty message", code: 50006 });
  const content = typeof body.content === "string" ? body.content : "";
  if (content.length > 2000)
    return sendJson(res, 400, {
      code: 50035,
      message: "Invalid Form Body",
      errors: { content: { _errors: [{ code: "BASE_TYPE_MAX_LENGTH", message: "Must be 2000 or fewer in length." }] } },
    });
  if (content === "") return sendJson(res, 400, { message: "Cannot send an empty message", code: 50006 });
  sendJson(res, 200, {
    id: String(1_200_000_000_000_000_000n + BigInt(randomInt(1, 2 ** 40))),
    type: m[3] ? 20 : 0,
    content,
    channel_id: "1100000000000000001",
    application_id: m[1],
    webhook_id: m[1],
    flags: 0,
    timestamp: new Date().toISOString(),
  });
}
