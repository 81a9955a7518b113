/**
 * Fake model upstreams for the worker tests: one 127.0.0.1 server (Node side, started by vitest.config.ts,
 * origin passed to the Worker as the `TEST_FAKE_UPSTREAMS_URL` binding) speaking the REAL wire formats.
 *
 * Base URLs to configure providers with (each already carries its version, as real configs do):
 *   openai      `${origin}/openai/v1`            → POST chat/completions, embeddings; GET models
 *               (any `/openai/<path>/chat/completions` works too, e.g. GLM-style `${origin}/openai/paas/v4/`)
 *   anthropic   `${origin}/anthropic/v1`         → POST messages
 *   google      `${origin}/google/v1beta`        → POST models/{model}:generateContent,
 *                                                   :streamGenerateContent?alt=sse, :batchEmbedContents
 *   cloudflare  `${origin}/cf/client/v4/accounts/acc/ai/v1` → POST chat/completions, embeddings
 *   twilio      `${origin}/twilio`               → POST 2010-04-01/Accounts/{sid}/Messages.json (form-encoded;
 *                                                   knobs by `To` number: fake-upstreams/twilio.ts)
 *   chainbot    `${origin}/chainbot/…`         → any method: api_call receivers (fake-upstreams/chainbot.ts)
 *   discord     `${origin}/discord/api/v10`      → POST webhooks/{app}/{token}, PATCH …/messages/@original
 *                                                   (knobs by token: fake-upstreams/discord.ts)
 *   decisions   `${origin}/decide/<knob>`        → POST a LearningDecisionRequest (JimBot decision backend;
 *                                                   knobs fast, slow[-MS], down, garbage: fake-upstreams/decisions.ts)
 *   memgraph    `${origin}/memgraph/db/neo4j/tx/commit` → Neo4j's HTTP transaction API (fake-upstreams/memgraph.ts)
 * A path containing `//` is answered 404, so a double slash in a built URL fails loudly.
 *
 * Auth is checked the way the real APIs do: `Authorization: Bearer …` (openai, cloudflare), `x-api-key` +
 * `anthropic-version` (anthropic), `x-goog-api-key` (google); any non-empty value is accepted.
 *
 * Behaviour is chosen by the MODEL NAME: `<knob>[~<tag>]` — the `~tag` is free text that makes a test's
 * requests unique and findable. Knobs (chat and embeddings alike):
 *   (anything else)            200, deterministic echo: text `echo: <last user text or tool result>`, one
 *                              word per stream delta; usage = whitespace word counts (prompt / output);
 *                              max_tokens below the word count truncates with finish "length".
 *                              JSON mode → a JSON instance of the requested schema (strings = the input
 *                              text, numbers = its word count, free objects = {"echo": text}).
 *                              A forced tool choice (or Anthropic's) → a call of that tool, args sampled
 *                              from its parameters schema the same way.
 *                              Embeddings: 26-dim letter counts a–z of each input (similar text → similar).
 *   fake-tool                  call the first declared tool even without tool_choice
 *   fake-not-json              answer "this is not json" even in JSON mode
 *   fake-429 / fake-429-date   429 with Retry-After: 2 / an HTTP date 3 s ahead (google: RetryInfo 2s in
 *                              the body; cloudflare: code 3040)
 *   fake-529 / fake-503        overload (google answers 503 UNAVAILABLE for both)
 *   fake-500 / fake-408        server error / request timeout
 *   fake-401 / fake-403        auth errors; fake-badkey: google's 400 API_KEY_INVALID, 401 elsewhere
 *   fake-402 / fake-quota      payment required / the provider's own quota error (OpenAI 429
 *                              insufficient_quota, Anthropic 400 "credit balance is too low", Cloudflare
 *                              3036 "Account limited", Gemini 402)
 *   fake-400 / fake-404        plain bad request / unknown model
 *   fake-context               the provider's real "context too long" 400
 *   fake-slow-first-token[-MS] headers at once, first SSE frame (or the whole JSON answer) after MS ms (2000)
 *   fake-slow-stream[-MS]      (openai) every stream frame MS ms after the one before (100): a reply still
 *                              streaming while a test closes or opens sockets
 *   fake-midstream-error       two deltas, then an error frame (OpenAI `data: {"error":…}`, Anthropic
 *                              `event: error` overloaded_error, Gemini error frame) and the end
 *   fake-truncated             two deltas, then the connection closes with no finish/[DONE]/message_stop
 *   fake-keepalive             `: OPENROUTER PROCESSING` comments (Anthropic: `ping` events, Gemini:
 *                              `: keep-alive`) before and between frames
 *   fake-malformed             200 with a body that is not JSON; fake-malformed-stream (openai): a bad frame
 *   fake-blocked               google: no candidates, promptFeedback.blockReason SAFETY
 * Streaming frames are each written in two pieces split mid-frame, so clients must buffer across chunks.
 * Streams of "echo" texts need at least two input words for the two-delta knobs to stop before the finish.
 *
 * Every request is recorded: `GET /_requests[?model=<exact>][&contains=<substring>][&path=<prefix>][&since=<seq>]`
 * returns `[{seq, method, path, search, headers, body, model}]` (headers lower-cased, body parsed JSON, or for a
 * form body an object of its fields with repeated names as arrays), newest last.
 */
import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { handleAnthropic } from "./fake-upstreams/anthropic.ts";
import { sendJson } from "./fake-upstreams/behaviour.ts";
import { handleDecide } from "./fake-upstreams/decisions.ts";
import { handleChainbot } from "./fake-upstreams/chainbot.ts";
import { handleDiscord } from "./fake-upstreams/discord.ts";
import { handleMemgraph } from "./fake-upstreams/memgraph.ts";
import { handleGoogle } from "./fake-upstreams/google.ts";
import { handleOpenAI } from "./fake-upstreams/openai.ts";
import { handleTwilio } from "./fake-upstreams/twilio.ts";

export interface RecordedRequest {
  seq: number;
  method: string;
  path: string;
  search: string;
  headers: Record<string, string>;
  body: unknown;
  model: string | undefined;
}

export interface FakeUpstreams {
  origin: string;
  close(): Promise<void>;
}

const MAX_RECORDS = 2000;

async function readBody(req: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString("utf8");
}

function filterRecords(records: RecordedRequest[], params: URLSearchParams): RecordedRequest[] {
  const model = params.get("model");
  const contains = params.get("contains");
  const path = params.get("path");
  const since = Number(params.get("since") ?? 0);
  return records.filter(
    (r) =>
      r.seq > since &&
      (model === null || r.model === model) &&
      (contains === null || (r.model ?? "").includes(contains)) &&
      (path === null || r.path.startsWith(path)),
  );
}

/** A form body as an object: one value as a string, a repeated name as an array of its values in order. */
function formFields(form: URLSearchParams): Record<string, unknown> {
  const fields: Record<string, unknown> = {};
  for (const name of new Set(form.keys())) {
    const values = form.getAll(name);
    fields[name] = values.length === 1 ? values[0] : values;
  }
  return fields;
}

async function route(
  url: URL,
  req: IncomingMessage,
  body: Record<string, unknown>,
  form: URLSearchParams,
  res: ServerResponse,
): Promise<void> {
  const path = url.pathname;
  if (path.includes("//"))
    return sendJson(res, 404, { error: { message: `double slash in path ${path}`, type: "invalid_request_error" } });
  if (path.startsWith("/twilio/")) return handleTwilio(req.method ?? "GET", url, req.headers, form, res);
  if (path.startsWith("/chainbot/")) return handleChainbot(req.method ?? "GET", path, req.headers, body, res);
  if (path.startsWith("/discord/")) return handleDiscord(req.method ?? "GET", path, req.headers, body, res);
  if (path.startsWith("/memgraph/")) return handleMemgraph(path, body, res);
  if (req.method === "GET" && /^\/openai\/.*\/models$/.test(path)) {
    return sendJson(res, 200, {
      object: "list",
      data: [{ id: "fake-echo", object: "model", created: 1_700_000_000, owned_by: "fake" }],
    });
  }
  if (req.method !== "POST") return sendJson(res, 405, { error: { message: "POST only" } });
  if (path.startsWith("/decide/")) return handleDecide(path, body, res);
  const cf = /^\/cf\/client\/v4\/accounts\/[^/]+\/ai\/v1\/(chat\/completions|embeddings)$/.exec(path);
  if (cf) return handleOpenAI("cloudflare", cf[1] === "embeddings" ? "embeddings" : "chat", req.headers, body, res);
  const openai = /^\/openai\/.+\/(chat\/completions|embeddings)$/.exec(path);
  if (openai) return handleOpenAI("openai", openai[1] === "embeddings" ? "embeddings" : "chat", req.headers, body, res);
  if (path === "/anthropic/v1/messages") return handleAnthropic(req.headers, body, res);
  const google = /^\/google\/v1beta\/models\/([^/:]+):(\w+)$/.exec(path);
  if (google?.[1] !== undefined && google[2] !== undefined)
    return handleGoogle(decodeURIComponent(google[1]), google[2], url.searchParams.get("alt"), req.headers, body, res);
  return sendJson(res, 404, { error: { message: `no fake upstream at ${path}` } });
}

export async function startFakeUpstreams(): Promise<FakeUpstreams> {
  const records: RecordedRequest[] = [];
  let seq = 0;
  const server = createServer((req, res) => {
    const url = new URL(req.url ?? "/", "http://fake");
    if (req.method === "GET" && url.pathname === "/_requests")
      return sendJson(res, 200, filterRecords(records, url.searchParams));
    readBody(req)
      .then(async (text) => {
        let body: Record<string, unknown> = {};
        const isForm = (req.headers["content-type"] ?? "").startsWith("application/x-www-form-urlencoded");
        const form = new URLSearchParams(isForm ? text : "");
        if (isForm) body = formFields(form);
        else if (text !== "") {
          try {
            body = JSON.parse(text) as Record<string, unknown>;
          } catch {
            return sendJson(res, 400, { error: { message: "body is not JSON" } });
          }
        }
        const googleModel = /\/models\/([^/:]+):/.exec(url.pathname)?.[1];
        seq += 1;
        records.push({
          seq,
          method: req.method ?? "GET",
          path: url.pathname,
          search: url.search,
          headers: Object.fromEntries(
            Object.entries(req.headers).map(([k, v]) => [k, Array.isArray(v) ? v.join(", ") : (v ?? "")]),
          ),
          body,
          model:
            typeof body.model === "string"
              ? body.model
              : googleModel === undefined
                ? undefined
                : decodeURIComponent(googleModel),
        });
        if (records.length > MAX_RECORDS) records.splice(0, records.length - MAX_RECORDS);
        return route(url, req, body, form, res);
      })
      .catch((err: unknown) => {
        if (!res.headersSent) sendJson(res, 500, { error: { message: `fake upstream crashed: ${String(err)}` } });
        else res.destroy();
      });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  // Never keeps the test process alive on its own.
  server.unref();
  const { port } = server.address() as AddressInfo;
  return {
    origin: `http://127.0.0.1:${port}`,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}
