import { createServer as createHttpServer } from "node:http";
import type { AddressInfo } from "node:net";
import { connect, createServer as createTcpServer } from "node:net";
import type { Socket } from "node:net";
import { afterAll, beforeAll, describe, it } from "vitest";
import { OllamaRequestError, forwardJob, listModels, loadedModels } from "../../edge-agent/src/llm/ollama-forwarder.js";
import type { ForwardJob } from "../../edge-agent/src/llm/ollama-forwarder.js";
import { splitEmbedAnswer } from "../../edge-agent/src/llm/split-embed-answer.js";
import { startFakeOllama } from "../fakes/fake-ollama.js";
import type { FakeOllama } from "../fakes/fake-ollama.js";

let ollama: FakeOllama;

beforeAll(async () => {
  ollama = await startFakeOllama();
});

afterAll(async () => {
  await ollama.close();
});

async function script(model: string, body: Record<string, unknown>): Promise<void> {
  const res = await fetch(`${ollama.url}/__script`, { method: "POST", body: JSON.stringify({ model, ...body }) });
  if (res.status !== 204) throw new Error(`script failed: ${res.status}`);
}

async function collect(url: string, job: ForwardJob, signal = new AbortController().signal) {
  const chunks: { index: number; data: Record<string, unknown> }[] = [];
  const result = await forwardJob(url, job, signal, (index, data) => {
    chunks.push({ index, data });
  });
  return { chunks, result };
}

const chat = (model: string, content: string): ForwardJob => ({
  kind: "llm.chat",
  request: { model, messages: [{ role: "user", content }] },
});

describe("forwardJob", () => {
  it("should stream every chat NDJSON object in order, asking Ollama to stream", async ({ expect }) => {
    const { chunks, result } = await collect(ollama.url, {
      kind: "llm.chat",
      request: { model: "llama3.2", stream: false, messages: [{ role: "user", content: "hello there" }] },
    });
    expect(result).toEqual({ ok: true, chunks: 4 });
    expect(chunks.map((c) => c.index)).toEqual([0, 1, 2, 3]);
    expect(chunks.map((c) => (c.data.message as { content: string }).content)).toEqual([
      "echo: ",
      "hello ",
      "there",
      "",
    ]);
    expect(chunks.map((c) => c.data.done)).toEqual([false, false, false, true]);
    expect(chunks[3]?.data).toMatchObject({ done_reason: "stop", eval_count: 3, prompt_eval_count: 2 });
    const requests = (await (await fetch(`${ollama.url}/__requests?model=llama3.2`)).json()) as {
      path: string;
      body: { stream: boolean };
    }[];
    expect(requests.at(-1)?.path).toBe("/api/chat");
    expect(requests.at(-1)?.body.stream).toBe(true);
  });

  it("should reassemble lines split across reads, including a UTF-8 character and an unterminated last line", async ({
    expect,
  }) => {
    const lines = [
      { model: "split", message: { role: "assistant", content: "Grüße 🌡️" }, done: false },
      { model: "split", message: { role: "assistant", content: "" }, done: true, done_reason: "stop" },
    ];
    await script("split", { body: lines.map((l) => JSON.stringify(l)).join("\n"), chunk_bytes: 5, gap_ms: 1 });
    const { chunks, result } = await collect(ollama.url, chat("split", "hi"));
    expect(result).toEqual({ ok: true, chunks: 2 });
    expect(chunks.map((c) => c.data)).toEqual(lines);
  });

  it("should turn an HTTP 200 stream ending in an error line into a device error without a status", async ({
    expect,
  }) => {
    await script("oom", {
      lines: [
        { model: "oom", message: { role: "assistant", content: "Once" }, done: false },
        { error: "model runner has unexpectedly stopped" },
        { model: "oom", message: { role: "assistant", content: "never" }, done: false },
      ],
    });
    const { chunks, result } = await collect(ollama.url, chat("oom", "tell a story"));
    expect(result).toEqual({
      ok: false,
      cancelled: false,
      message: "model runner has unexpectedly stopped",
      chunks: 1,
    });
    expect(chunks.map((c) => c.data.message)).toEqual([{ role: "assistant", content: "Once" }]);
  });

  it("should report a chat stream cut off before its final object", async ({ expect }) => {
    await script("cut", {
      lines: [
        { model: "cut", message: { role: "assistant", content: "Half" }, done: false },
        { model: "cut", message: { role: "assistant", content: " an" }, done: false },
      ],
    });
    const { chunks, result } = await collect(ollama.url, chat("cut", "hi"));
    expect(result).toEqual({
      ok: false,
      cancelled: false,
      message: "Ollama's chat stream ended before its final object",
      chunks: 2,
    });
    expect(chunks.length).toBe(2);
  });

  it("should report a non-2xx answer with Ollama's error text and status", async ({ expect }) => {
    const { chunks, result } = await collect(ollama.url, chat("not-pulled", "hi"));
    expect(result).toEqual({
      ok: false,
      cancelled: false,
      message: 'model "not-pulled" not found, try pulling it first',
      status: 404,
      chunks: 0,
    });
    expect(chunks).toEqual([]);
  });

  it("should forward an embed request and hand back its single JSON answer", async ({ expect }) => {
    const { chunks, result } = await collect(ollama.url, {
      kind: "llm.embed",
      request: { model: "nomic-embed-text", input: ["a", "bcd"] },
    });
    expect(result).toEqual({ ok: true, chunks: 1 });
    const embeddings = chunks[0]?.data.embeddings as number[][];
    expect(embeddings.map((e) => e.length)).toEqual([8, 8]);
    expect(embeddings[0]?.[0]).toBe(0.31);
    const requests = (await (await fetch(`${ollama.url}/__requests?model=nomic-embed-text`)).json()) as {
      path: string;
      body: unknown;
    }[];
    expect(requests.at(-1)).toEqual({ path: "/api/embed", body: { model: "nomic-embed-text", input: ["a", "bcd"] } });
  });

  it("should report an unreachable Ollama as a device error", async ({ expect }) => {
    const closed = createHttpServer();
    await new Promise<void>((resolve) => closed.listen(0, "127.0.0.1", resolve));
    const { port } = closed.address() as AddressInfo;
    await new Promise<void>((resolve) => closed.close(() => resolve()));
    const { result } = await collect(`http://127.0.0.1:${port}`, chat("llama3.2", "hi"));
    expect(result.ok).toBe(false);
    expect(result.ok ? "" : result.message).toMatch(/^Ollama unreachable: fetch failed: .*ECONNREFUSED/);
  });

  it("should close the upstream connection when the job is cancelled", async ({ expect }) => {
    const total = 50;
    await script("slow", {
      lines: Array.from({ length: total }, (_, i) => ({
        model: "slow",
        message: { role: "assistant", content: `w${i} ` },
        done: false,
      })),
      gap_ms: 100,
    });
    // A TCP hop in front of the fake shows when the agent's side of the connection to Ollama closes.
    const upstreamPort = Number(new URL(ollama.url).port);
    const sockets = new Set<Socket>();
    let requestSocketClosed = false;
    const proxy = createTcpServer((client) => {
      sockets.add(client);
      let carriedRequest = false;
      client.once("data", () => (carriedRequest = true));
      const upstream = connect(upstreamPort, "127.0.0.1");
      client.pipe(upstream).on("error", () => undefined);
      upstream.pipe(client).on("error", () => undefined);
      client.on("close", () => {
        if (carriedRequest) requestSocketClosed = true;
        upstream.destroy();
      });
      client.on("error", () => undefined);
    });
    await new Promise<void>((resolve) => proxy.listen(0, "127.0.0.1", resolve));
    try {
      const { port } = proxy.address() as AddressInfo;
      const controller = new AbortController();
      const seen: number[] = [];
      const result = await forwardJob(`http://127.0.0.1:${port}`, chat("slow", "go"), controller.signal, (index) => {
        seen.push(index);
        if (index === 1) controller.abort(new Error("hub cancel"));
      });
      expect(result).toEqual({ ok: false, cancelled: true, message: "cancelled", chunks: 2 });
      expect(seen).toEqual([0, 1]);
      await expect.poll(() => requestSocketClosed).toBe(true);
    } finally {
      // undici may have opened a spare idle connection; it must not hold the proxy open.
      for (const socket of sockets) socket.destroy();
      await new Promise<void>((resolve) => proxy.close(() => resolve()));
    }
  });

  it("should pass on nothing after a cancel, even lines that arrived in the same read", async ({ expect }) => {
    const lines = [0, 1, 2].map((i) => JSON.stringify({ model: "burst", message: { content: `${i}` }, done: i === 2 }));
    await script("burst", { body: `${lines.join("\n")}\n` });
    const controller = new AbortController();
    const seen: number[] = [];
    const result = await forwardJob(ollama.url, chat("burst", "go"), controller.signal, (index) => {
      seen.push(index);
      controller.abort();
    });
    expect(result).toEqual({ ok: false, cancelled: true, message: "cancelled", chunks: 1 });
    expect(seen).toEqual([0]);
  });

  it("should rethrow the callback's own error and stop the upstream", async ({ expect }) => {
    const boom = new Error("hub socket gone");
    await expect(
      forwardJob(ollama.url, chat("llama3.2", "a b c"), new AbortController().signal, () => {
        throw boom;
      }),
    ).rejects.toBe(boom);
  });
});

describe("listModels and loadedModels", () => {
  it("should list the pulled models from /api/tags", async ({ expect }) => {
    const models = await listModels(ollama.url);
    expect(models.map((m) => m.name)).toEqual(["llama3.2", "qwen2.5:32b", "qwen3-embedding:4b", "nomic-embed-text"]);
  });

  it("should list the loaded models from /api/ps", async ({ expect }) => {
    // The shared fake has no /api/ps; this one answers with the shape Ollama documents.
    const loaded = {
      models: [
        {
          name: "llama3.2:latest",
          model: "llama3.2:latest",
          size: 3_200_000_000,
          digest: "a80c4f17acd5",
          details: { family: "llama" },
          expires_at: "2026-12-01T01:05:00Z",
          size_vram: 0,
        },
      ],
    };
    const ps = createHttpServer((req, res) => {
      if (req.url === "/api/ps") res.writeHead(200, { "content-type": "application/json" }).end(JSON.stringify(loaded));
      else res.writeHead(404).end("404 page not found");
    });
    await new Promise<void>((resolve) => ps.listen(0, "127.0.0.1", resolve));
    try {
      const { port } = ps.address() as AddressInfo;
      expect(await loadedModels(`http://127.0.0.1:${port}/`)).toEqual(loaded.models);
    } finally {
      await new Promise<void>((resolve) => ps.close(() => resolve()));
    }
  });

  it("should raise an OllamaRequestError with the status when Ollama refuses", async ({ expect }) => {
    const error = await loadedModels(ollama.url).catch((err: unknown) => err);
    expect(error).toBeInstanceOf(OllamaRequestError);
    expect(error).toMatchObject({ status: 404, message: "api/ps: 404 page not found" });
  });
});

describe("splitEmbedAnswer", () => {
  const answer = {
    model: "nomic-embed-text",
    embeddings: [
      [0.1, 0.2],
      [0.3, 0.4],
      [0.5, 0.6],
    ],
    total_duration: 1000,
    prompt_eval_count: 9,
  };

  it("should leave an answer that fits as it is", ({ expect }) => {
    expect(splitEmbedAnswer(answer, 1024)).toEqual([answer]);
  });

  it("should split embeddings in order, under the budget, with the counts on the first piece only", ({ expect }) => {
    // Room for the first piece with one row, not two; the slimmer second piece then takes both remaining rows.
    const budget = JSON.stringify({ ...answer, embeddings: [[0.1, 0.2]] }).length + 5;
    const pieces = splitEmbedAnswer(answer, budget);
    expect(pieces).toEqual([
      { model: "nomic-embed-text", embeddings: [[0.1, 0.2]], total_duration: 1000, prompt_eval_count: 9 },
      {
        model: "nomic-embed-text",
        embeddings: [
          [0.3, 0.4],
          [0.5, 0.6],
        ],
      },
    ]);
  });

  it("should send a split embed answer as consecutive chunks through forwardJob", async ({ expect }) => {
    const chunks: { index: number; data: Record<string, unknown> }[] = [];
    const result = await forwardJob(
      ollama.url,
      { kind: "llm.embed", request: { model: "nomic-embed-text", input: ["a", "bb", "ccc"] } },
      new AbortController().signal,
      (index, data) => {
        chunks.push({ index, data });
      },
      // Smaller than one row: every embedding goes in its own chunk.
      { maxEmbedChunkBytes: 10 },
    );
    expect(result).toEqual({ ok: true, chunks: 3 });
    expect(chunks.map((c) => c.index)).toEqual([0, 1, 2]);
    expect(chunks.map((c) => (c.data.embeddings as number[][]).length)).toEqual([1, 1, 1]);
    expect(chunks.map((c) => c.data.prompt_eval_count)).toEqual([9, undefined, undefined]);
  });
});
