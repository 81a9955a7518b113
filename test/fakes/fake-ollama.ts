/**
 * A fake Ollama on 127.0.0.1 speaking the real native API (`/api/chat`, `/api/embed`, `/api/tags`,
 * `/api/version`): NDJSON streaming with Ollama's field names, `{"error"}` bodies, 404 for a model that is
 * not pulled. Tests script a model's answer byte for byte — status, NDJSON lines, chunk size (to split lines
 * and UTF-8 characters at awkward places), delays — and read back the requests it received. Unscripted known
 * models answer deterministically (an echo, a tool call when tools are offered, fixed embeddings), for
 * end-to-end runs and benchmarks. It lives outside test/worker because it runs in Node, not in workerd.
 */
import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";

export interface OllamaScript {
  status?: number;
  headers?: Record<string, string>;
  /** NDJSON objects, written one per line (a string is written as the line's raw text). */
  lines?: unknown[];
  /** Raw body text instead of lines. */
  body?: string;
  /** Writes the body in slices of this many bytes (default: one line per write). */
  chunk_bytes?: number;
  /** Pause between writes, so slices reach the client as separate reads. */
  gap_ms?: number;
  /** Pause before the status line (a slow or hung upstream). */
  delay_ms?: number;
}

/** Models an unscripted request may name; anything else is "not pulled". */
const PULLED = new Set(["llama3.2", "qwen2.5:32b", "qwen3-embedding:4b", "nomic-embed-text"]);
const EMBED_DIMENSIONS = 8;

interface Recorded {
  path: string;
  body: unknown;
}

function readBody(req: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    req.on("data", (c: Buffer) => chunks.push(c));
    req.on("end", () => resolve(Buffer.concat(chunks).toString("utf8")));
    req.on("error", reject);
  });
}

function sleep(ms: number, res: ServerResponse): Promise<void> {
  return new Promise((resolve) => {
    // A client that gave up (timeout test) must not keep a timer, or the process, alive.
    const gone = () => {
      clearTimeout(timer);
      resolve();
    };
    const timer = setTimeout(() => {
      res.off("close", gone);
      resolve();
    }, ms);
    res.once("close", gone);
  });
}

async function play(res: ServerResponse, script: OllamaScript, streaming: boolean): Promise<void> {
  if (script.delay_ms) await sleep(script.delay_ms, res);
  if (res.destroyed) return;
  const status = script.status ?? 200;
  const contentType = status === 200 && streaming ? "application/x-ndjson" : "application/json; charset=utf-8";
  res.writeHead(status, { "content-type": contentType, ...script.headers });
  const lines =
    script.body !== undefined
      ? [script.body]
      : (script.lines ?? []).map((l) => `${typeof l === "string" ? l : JSON.stringify(l)}\n`);
  const parts: Buffer[] = [];
  if (script.chunk_bytes) {
    const all = Buffer.from(lines.join(""), "utf8");
    for (let i = 0; i < all.length; i += script.chunk_bytes) parts.push(all.subarray(i, i + script.chunk_bytes));
  } else parts.push(...lines.map((l) => Buffer.from(l, "utf8")));
  for (const [i, part] of parts.entries()) {
    if (res.destroyed) return;
    res.write(part);
    if (script.gap_ms && i < parts.length - 1) await sleep(script.gap_ms, res);
  }
  res.end();
}

function stamp(model: string) {
  return { model, created_at: new Date().toISOString() };
}

/** Ollama's final statistics: durations in nanoseconds, usage as prompt_eval_count / eval_count. */
function stats(promptTokens: number, evalTokens: number) {
  return {
    total_duration: 5_000_000,
    load_duration: 1_000_000,
    prompt_eval_count: promptTokens,
    prompt_eval_duration: 1_000_000,
    eval_count: evalTokens,
    eval_duration: 3_000_000,
  };
}

type ChatBody = {
  model: string;
  stream?: boolean;
  messages?: { role: string; content?: string }[];
  tools?: { function: { name: string } }[];
  format?: unknown;
};

/** The unscripted answer: echo the last user message (or call the first offered tool), like a real model would shape it. */
function defaultChat(body: ChatBody, streaming: boolean): OllamaScript {
  const last = [...(body.messages ?? [])].reverse().find((m) => m.role === "user")?.content ?? "";
  const promptTokens = (body.messages ?? []).reduce(
    (n, m) => n + (m.content ?? "").split(/\s+/).filter(Boolean).length,
    0,
  );
  const tool = body.tools?.[0]?.function.name;
  if (tool) {
    const message = {
      role: "assistant",
      content: "",
      tool_calls: [{ function: { name: tool, arguments: { query: last } } }],
    };
    return { lines: [{ ...stamp(body.model), message, done_reason: "stop", done: true, ...stats(promptTokens, 10) }] };
  }
  const text = body.format !== undefined ? JSON.stringify({ echo: last }) : `echo: ${last}`;
  if (!streaming)
    return {
      lines: [
        {
          ...stamp(body.model),
          message: { role: "assistant", content: text },
          done_reason: "stop",
          done: true,
          ...stats(promptTokens, text.length),
        },
      ],
    };
  const words = text.split(/(?<= )/);
  return {
    lines: [
      ...words.map((w) => ({ ...stamp(body.model), message: { role: "assistant", content: w }, done: false })),
      {
        ...stamp(body.model),
        message: { role: "assistant", content: "" },
        done_reason: "stop",
        done: true,
        ...stats(promptTokens, words.length),
      },
    ],
  };
}

function defaultEmbed(body: { model: string; input?: string | string[] }): OllamaScript {
  const inputs = typeof body.input === "string" ? [body.input] : (body.input ?? []);
  const vector = (text: string) =>
    Array.from({ length: EMBED_DIMENSIONS }, (_, i) => ((text.length * 31 + i * 17) % 100) / 100);
  return {
    lines: [
      {
        model: body.model,
        embeddings: inputs.map(vector),
        total_duration: 1_000_000,
        load_duration: 100_000,
        prompt_eval_count: inputs.length * 3,
      },
    ],
  };
}

export interface FakeOllama {
  url: string;
  close(): Promise<void>;
}

export async function startFakeOllama(): Promise<FakeOllama> {
  const scripts = new Map<string, OllamaScript>();
  const recorded = new Map<string, Recorded[]>();
  const server = createServer((req, res) => {
    void handle(req, res).catch((err: unknown) => {
      if (!res.headersSent) res.writeHead(500, { "content-type": "application/json" });
      res.end(JSON.stringify({ error: err instanceof Error ? err.message : String(err) }));
    });
  });

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? "/", "http://fake");
    if (req.method === "POST" && url.pathname === "/__script") {
      const { model, ...script } = JSON.parse(await readBody(req)) as OllamaScript & { model: string };
      scripts.set(model, script);
      res.writeHead(204).end();
      return;
    }
    if (req.method === "GET" && url.pathname === "/__requests") {
      res
        .writeHead(200, { "content-type": "application/json" })
        .end(JSON.stringify(recorded.get(url.searchParams.get("model") ?? "") ?? []));
      return;
    }
    if (req.method === "GET" && url.pathname === "/api/version") {
      res.writeHead(200, { "content-type": "application/json" }).end(JSON.stringify({ version: "0.12.0" }));
      return;
    }
    if (req.method === "GET" && url.pathname === "/api/tags") {
      const models = [...PULLED].map((name) => ({
        name,
        model: name,
        modified_at: new Date(0).toISOString(),
        size: 1,
        digest: "0",
        details: {},
      }));
      res.writeHead(200, { "content-type": "application/json" }).end(JSON.stringify({ models }));
      return;
    }
    if (req.method !== "POST" || (url.pathname !== "/api/chat" && url.pathname !== "/api/embed")) {
      res.writeHead(404, { "content-type": "text/plain" }).end("404 page not found");
      return;
    }
    const text = await readBody(req);
    let body: ChatBody;
    try {
      body = JSON.parse(text) as ChatBody;
    } catch {
      await play(res, { status: 400, lines: [{ error: "invalid character in request body" }] }, false);
      return;
    }
    recorded.set(body.model, [...(recorded.get(body.model) ?? []), { path: url.pathname, body }]);
    const streaming = url.pathname === "/api/chat" && body.stream !== false;
    const script = scripts.get(body.model);
    if (script) return play(res, script, streaming);
    if (!PULLED.has(body.model))
      return play(
        res,
        { status: 404, lines: [{ error: `model "${body.model}" not found, try pulling it first` }] },
        false,
      );
    return play(res, url.pathname === "/api/chat" ? defaultChat(body, streaming) : defaultEmbed(body), streaming);
  }

  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  // Never keeps the test process alive on its own.
  server.unref();
  const { port } = server.address() as AddressInfo;
  return { url: `http://127.0.0.1:${port}`, close: () => new Promise((resolve) => server.close(() => resolve())) };
}
