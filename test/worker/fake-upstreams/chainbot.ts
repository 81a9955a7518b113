/**
 * A fake HTTP receiver for ChainBot's api_call steps (any method), under `/chainbot/`:
 *   /chainbot/echo[/<tag>]            200 JSON {method, path, idempotency_key, authorization, body}
 *   /chainbot/status/<code>[/<tag>]   that status with a JSON error body
 *   /chainbot/flaky/<n>/<tag>         503 for the first n calls to this path, then like echo
 *   /chainbot/slow/<ms>/<tag>         like echo after ms milliseconds
 *   /chainbot/leak/<tag>              200 echoing the Authorization header in the body (for masking tests)
 * Every call is recorded like the others: `GET /_requests?path=/chainbot/…` counts them.
 */
import type { IncomingHttpHeaders, ServerResponse } from "node:http";
import { sendJson, sleep } from "./behaviour.ts";

const calls = new Map<string, number>();

export async function handleChainbot(
  method: string,
  path: string,
  headers: IncomingHttpHeaders,
  body: unknown,
  res: ServerResponse,
): Promise<void> {
  const n = (calls.get(path) ?? 0) + 1;
  calls.set(path, n);
  const echo = {
    method,
    path,
    idempotency_key: headers["idempotency-key"] ?? null,
    authorization: path.startsWith("/chainbot/leak/") ? (headers.authorization ?? null) : null,
    body,
    call: n,
  };
  const status = /^\/chainbot\/status\/(\d{3})/.exec(path);
  if (status?.[1]) return sendJson(res, Number(status[1]), { error: { message: `asked for ${status[1]}` } });
  const flaky = /^\/chainbot\/flaky\/(\d+)\//.exec(path);
  if (flaky?.[1] && n <= Number(flaky[1])) return sendJson(res, 503, { error: { message: `flaky call ${n}` } });
  const slow = /^\/chainbot\/slow\/(\d+)\//.exec(path);
  if (slow?.[1]) await sleep(Number(slow[1]), res);
  return sendJson(res, 200, echo);
}
