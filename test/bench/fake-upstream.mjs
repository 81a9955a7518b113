// The bench's fake model provider: a minimal Node HTTP server on 127.0.0.1 that answers OpenAI's
// `POST /v1/chat/completions` with one fixed small completion and its `usage` (streamed as SSE when the request
// asks for `"stream": true`), keep-alive on, and, as the JimBot decision backend (decision-bench.mjs),
// `POST /decide` with one fixed decision. run.mjs serves it from the orchestrator's process, so the upstream never shares an
// event loop with the load generator (a second process) or with workerd; its CPU is not in `srv µs/req`.
//
// Fixed answer, built once: the upstream should cost the same few microseconds for every caller, so the
// three ways of reaching it (directly, through the pass-through Worker, through botplane) differ only by
// what sits in between.
import http from "node:http";
import { DECISION_ANSWER } from "./decision-bench.mjs";

const HOST = "127.0.0.1";

const ANSWER = JSON.stringify({
  id: "chatcmpl-bench",
  object: "chat.completion",
  created: 1_700_000_000,
  model: "bench-model",
  choices: [
    { index: 0, message: { role: "assistant", content: "hello from the bench upstream" }, finish_reason: "stop" },
  ],
  usage: { prompt_tokens: 1, completion_tokens: 5, total_tokens: 6 },
});
const ANSWER_HEADERS = { "content-type": "application/json", "content-length": Buffer.byteLength(ANSWER) };
const DECISION_HEADERS = { "content-type": "application/json", "content-length": Buffer.byteLength(DECISION_ANSWER) };

// The same answer streamed (`"stream": true`, what the chat gateway asks for): role, two text deltas, the
// finish, the usage frame and [DONE], all written at once — a model that answers instantly.
const chunk = (delta, finish = null) =>
  `data: ${JSON.stringify({
    id: "chatcmpl-bench",
    object: "chat.completion.chunk",
    created: 1_700_000_000,
    model: "bench-model",
    choices: [{ index: 0, delta, finish_reason: finish }],
  })}\n\n`;
const STREAM = [
  chunk({ role: "assistant", content: "" }),
  chunk({ content: "hello" }),
  chunk({ content: " from the bench upstream" }),
  chunk({}, "stop"),
  `data: ${JSON.stringify({
    id: "chatcmpl-bench",
    object: "chat.completion.chunk",
    created: 1_700_000_000,
    model: "bench-model",
    choices: [],
    usage: { prompt_tokens: 1, completion_tokens: 5, total_tokens: 6 },
  })}\n\n`,
  "data: [DONE]\n\n",
].join("");
const STREAM_HEADERS = { "content-type": "text/event-stream", "content-length": Buffer.byteLength(STREAM) };

/** Starts the fake; resolves to `{ origin, baseUrl, counts, close }` once it listens on an ephemeral port. */
export async function startFakeUpstream() {
  const counts = { chat: 0, streamed: 0, other: 0 };
  const server = http.createServer((req, res) => {
    // The body is not parsed (a provider's parsing cost is not what the bench compares), only searched for
    // the streaming flag.
    let streamed = false;
    req.on("data", (d) => {
      streamed ||= d.includes('"stream":true');
    });
    req.on("end", () => {
      if (req.method === "POST" && req.url === "/v1/chat/completions") {
        counts.chat++;
        if (streamed) counts.streamed++;
        res.writeHead(200, streamed ? STREAM_HEADERS : ANSWER_HEADERS);
        res.end(streamed ? STREAM : ANSWER);
        return;
      }
      if (req.method === "POST" && req.url === "/decide") {
        res.writeHead(200, DECISION_HEADERS);
        res.end(DECISION_ANSWER);
        return;
      }
      counts.other++;
      const body = JSON.stringify({
        error: { message: `no route ${req.method} ${req.url}`, type: "invalid_request_error" },
      });
      res.writeHead(404, { "content-type": "application/json", "content-length": Buffer.byteLength(body) });
      res.end(body);
    });
  });
  // Long keep-alive so neither workerd's outbound pool nor the load generator reconnects mid-scenario.
  server.keepAliveTimeout = 120_000;
  server.headersTimeout = 125_000;
  server.maxRequestsPerSocket = 0;
  await new Promise((resolve, reject) => {
    server.once("error", reject);
    server.listen(0, HOST, resolve);
  });
  const { port } = server.address();
  const origin = `http://${HOST}:${port}`;
  return {
    origin,
    baseUrl: `${origin}/v1`,
    counts,
    close: () =>
      new Promise((resolve) => {
        server.closeAllConnections?.();
        server.close(() => resolve());
      }),
  };
}
