/**
 * EdgeHub and GET /api/v1/edge/{device_id}/connect, with a fake device: a WebSocket client connected through
 * the Worker's real entry with a device token, answering jobs with Ollama-native chunks. Covers the ollama
 * provider's edge transport end to end (streamed live, collected, embeddings), an offline device failing at
 * once, a silent device timing out within the job's budget (and being told to cancel), resending unacked
 * jobs on reconnect, auth, bad device messages, heartbeats and hibernation.
 */
import { env } from "cloudflare:workers";
import { evictDurableObject, runInDurableObject } from "cloudflare:test";
import { describe, it } from "vitest";
import { edgeHub } from "../../durable-objects/edge-hub-client";
import type { EdgeHub } from "../../durable-objects/edge-hub";
import { createOllamaProvider, type OllamaOptions } from "../../workers/models/providers/ollama";
import { type ChatRequest, ProviderError, type StreamChunk } from "../../workers/models/types";
import { call, json, token, uniqueId } from "./helpers";
import { openDeviceSocket } from "./support/edge-device";

interface Frame {
  type: string;
  job_id?: string;
  seq?: number;
  kind?: string;
  request?: Record<string, unknown>;
  timeout_ms?: number;
  reason?: string;
  error?: { code: string; message: string; details?: unknown };
}

type Job = Frame & { job_id: string; seq: number };
type Answer = (job: Job) => Record<string, unknown>[] | null;

const deviceId = () => uniqueId("pi").toLowerCase();
const hubStub = (id: string) => env.EDGE_HUB.getByName(id);

/** The fake device. `answer` (when given) acks each job and replies with its chunks, then `done`. */
async function connect(id: string, answer?: Answer) {
  const ws = await openDeviceSocket(id);
  const frames: Frame[] = [];
  const send = (message: unknown) => ws.send(typeof message === "string" ? message : JSON.stringify(message));
  const reply = (job: Job, chunks: Record<string, unknown>[]) => {
    chunks.forEach((data, index) => send({ type: "chunk", job_id: job.job_id, index, data }));
    send({ type: "done", job_id: job.job_id });
  };
  ws.addEventListener("message", (e) => {
    const frame = JSON.parse(String(e.data)) as Frame;
    frames.push(frame);
    if (answer && frame.type === "job" && frame.job_id !== undefined && frame.seq !== undefined) {
      const job = frame as Job;
      send({ type: "ack", seq: job.seq });
      const chunks = answer(job);
      if (chunks) reply(job, chunks);
    }
  });
  ws.accept();
  send({ type: "hello", device_id: id, agent_version: "0.1.0-test" });
  return {
    ws,
    frames,
    send,
    reply,
    jobs: () => frames.filter((f): f is Job => f.type === "job"),
    close: () => ws.close(1000, "bye"),
  };
}

const model = "qwen2.5:32b";
const at = { model, created_at: "2025-01-01T00:00:00Z" };
const piece = (content: string) => ({ ...at, message: { role: "assistant", content }, done: false });
const final = {
  ...at,
  message: { role: "assistant", content: "" },
  done_reason: "stop",
  done: true,
  prompt_eval_count: 9,
  eval_count: 2,
};
const hello: Answer = () => [piece("Hel"), piece("lo"), final];

function provider(id: string, options: OllamaOptions = {}) {
  return createOllamaProvider({ name: "ollama", type: "ollama", edgeDevice: id }, env, options);
}

function chatRequest(extra: Partial<ChatRequest> = {}): ChatRequest {
  return {
    model,
    messages: [{ role: "user", content: [{ type: "text", text: "hi" }] }],
    params: { temperature: 0 },
    signal: AbortSignal.timeout(10_000),
    ...extra,
  };
}

async function failure(work: Promise<unknown>): Promise<ProviderError> {
  try {
    await work;
  } catch (err) {
    if (err instanceof ProviderError) return err;
    throw err;
  }
  throw new Error("expected a ProviderError");
}

async function readLines(stream: ReadableStream<Uint8Array>): Promise<Record<string, unknown>[]> {
  const text = await new Response(stream).text();
  return text
    .split("\n")
    .filter(Boolean)
    .map((l) => JSON.parse(l) as Record<string, unknown>);
}

describe("EdgeHub through the ollama provider", () => {
  it("should stream a device's chunks to the caller as they arrive", async ({ expect }) => {
    const id = deviceId();
    const device = await connect(id);
    const chunks = provider(id).chatStream(chatRequest())[Symbol.asyncIterator]();
    const first = chunks.next();
    await expect.poll(() => device.jobs().length === 1, { message: "the job frame", timeout: 3000 }).toBe(true);
    const job = device.jobs()[0] as Job;
    expect(job).toMatchObject({
      kind: "llm.chat",
      request: { model, stream: true, messages: [{ role: "user", content: "hi" }], options: { temperature: 0 } },
    });
    expect(job.timeout_ms).toBeGreaterThan(0);
    device.send({ type: "ack", seq: job.seq });
    device.send({ type: "chunk", job_id: job.job_id, index: 0, data: piece("Hel") });
    // The first delta is readable before the device has sent the rest: nothing waits for `done`.
    expect((await first).value).toEqual({ type: "text_delta", text: "Hel" });
    device.reply(job, [piece("Hel"), piece("lo"), final]);
    const rest: StreamChunk[] = [];
    for (let next = await chunks.next(); !next.done; next = await chunks.next()) rest.push(next.value);
    expect(rest).toEqual([
      { type: "text_delta", text: "lo" },
      { type: "usage", usage: { input_tokens: 9, output_tokens: 2 } },
      { type: "finish", finish_reason: "stop" },
    ]);
    device.close();
  });

  it("should collect a chat answer and an embedding split across chunks", async ({ expect }) => {
    const id = deviceId();
    const device = await connect(id, (job) =>
      job.kind === "llm.embed"
        ? [
            { model, embeddings: [[1, 0]], prompt_eval_count: 2 },
            { model, embeddings: [[0, 1]], prompt_eval_count: 3 },
          ]
        : hello(job),
    );
    const result = await provider(id).chat(chatRequest());
    expect(result).toEqual({
      content: [{ type: "text", text: "Hello" }],
      usage: { input_tokens: 9, output_tokens: 2 },
      finish_reason: "stop",
    });
    const embedded = await provider(id).embed({
      model: "qwen3-embedding:4b",
      input: ["a", "b"],
      signal: AbortSignal.timeout(5000),
    });
    expect(embedded).toEqual({
      embeddings: [
        [1, 0],
        [0, 1],
      ],
      usage: { input_tokens: 5 },
    });
    expect(device.jobs().map((j) => [j.kind, j.request])).toEqual([
      ["llm.chat", expect.objectContaining({ stream: true })],
      ["llm.embed", { model: "qwen3-embedding:4b", input: ["a", "b"] }],
    ]);
    device.close();
  });

  it("should fail at once as unavailable when the device is offline", async ({ expect }) => {
    const never = deviceId();
    // "At once": the failure is the hub saying the device is offline, not a time budget running out.
    const error = await failure(provider(never, { edgeDeadlineMs: 60_000 }).chat(chatRequest()));
    expect(error.kind).toBe("unavailable");
    expect(await edgeHub(env, never).isOnline()).toBe(false);

    const gone = deviceId();
    const device = await connect(gone);
    expect(await edgeHub(env, gone).isOnline()).toBe(true);
    device.close();
    await expect
      .poll(async () => !(await edgeHub(env, gone).isOnline()), { message: "the hub to see the close", timeout: 3000 })
      .toBe(true);
    expect((await failure(provider(gone).chat(chatRequest()))).kind).toBe("unavailable");
  });

  it("should time out a silent device within the job's budget and cancel the job on it", async ({ expect }) => {
    const id = deviceId();
    const device = await connect(id, () => null);
    const started = Date.now();
    const error = await failure(provider(id, { edgeDeadlineMs: 400 }).chat(chatRequest()));
    const elapsed = Date.now() - started;
    expect(error.kind).toBe("timeout");
    expect(elapsed).toBeGreaterThanOrEqual(350);
    const job = device.jobs()[0] as Job;
    await expect
      .poll(() => device.frames.some((f) => f.type === "cancel"), { message: "the cancel frame", timeout: 3000 })
      .toBe(true);
    expect(device.frames.find((f) => f.type === "cancel")).toEqual({
      type: "cancel",
      job_id: job.job_id,
      reason: "deadline exceeded",
    });
    // Chunks that arrive after the cancel are dropped quietly.
    device.reply(job, [piece("late"), final]);
    expect(await readLines(await edgeHub(env, id).streamJob(job.job_id, 0))).toEqual([
      expect.objectContaining({ type: "error", reason: "timeout" }),
    ]);
    device.close();
  });

  it("should cancel the job on the device when the caller aborts first", async ({ expect }) => {
    const id = deviceId();
    const device = await connect(id, () => null);
    const error = await failure(provider(id).chat(chatRequest({ signal: AbortSignal.timeout(200) })));
    expect(error.kind).toBe("timeout");
    await expect
      .poll(() => device.frames.some((f) => f.type === "cancel"), { message: "the cancel frame", timeout: 3000 })
      .toBe(true);
    expect(device.frames.find((f) => f.type === "cancel")?.reason).toContain("caller gave up");
    expect((await edgeHub(env, id).status()).open_jobs).toBe(0);
    device.close();
  });

  it("should classify a device's error by the Ollama status it relays", async ({ expect }) => {
    const id = deviceId();
    const device = await connect(id);
    device.ws.addEventListener("message", (e) => {
      const frame = JSON.parse(String(e.data)) as Frame;
      if (frame.type !== "job" || !frame.job_id) return;
      const missing = frame.request?.model === "missing:1b";
      device.send({
        type: "error",
        job_id: frame.job_id,
        message: missing ? 'model "missing:1b" not found, try pulling it first' : "ollama crashed",
        ...(missing ? { status: 404 } : {}),
      });
    });
    expect((await failure(provider(id).chat(chatRequest({ model: "missing:1b" })))).kind).toBe("unavailable");
    expect((await failure(provider(id).chat(chatRequest()))).kind).toBe("stream");
    device.close();
  });
});

describe("EdgeHub device connection", () => {
  it("should resend unacked jobs, and only those, when the device reconnects", async ({ expect }) => {
    const id = deviceId();
    const hub = edgeHub(env, id);
    const first = await connect(id);
    const a = await hub.submitJob({ kind: "llm.chat", request: { model, messages: [] }, deadlineMs: 30_000 });
    const b = await hub.submitJob({ kind: "llm.chat", request: { model, messages: [] }, deadlineMs: 30_000 });
    if (!a.ok || !b.ok) throw new Error("submit failed");
    expect(b.seq).toBeGreaterThan(a.seq);
    await expect.poll(() => first.jobs().length === 2, { message: "both jobs", timeout: 3000 }).toBe(true);
    first.send({ type: "ack", seq: a.seq });
    await expect
      .poll(async () => (await hub.status()).open_jobs === 2, { message: "the ack", timeout: 3000 })
      .toBe(true);
    first.close();

    const second = await connect(id);
    await expect.poll(() => second.jobs().length >= 1, { message: "the resent job", timeout: 3000 }).toBe(true);
    expect(second.jobs().map((j) => [j.job_id, j.seq])).toEqual([[b.job_id, b.seq]]);
    // Sent again (a device that replays its answer): the stored copy of each index wins.
    const job = second.jobs()[0] as Job;
    second.reply(job, [piece("once"), final]);
    second.reply(job, [piece("twice"), final]);
    const lines = await readLines(await hub.streamJob(b.job_id, 0));
    expect(lines).toEqual([
      { type: "chunk", index: 0, data: piece("once") },
      { type: "chunk", index: 1, data: final },
      { type: "done" },
    ]);
    expect(await readLines(await hub.streamJob(b.job_id, 1))).toHaveLength(2);
    second.close();
  });

  it("should close an older socket when the same device connects again", async ({ expect }) => {
    const id = deviceId();
    const first = await connect(id);
    const closed = new Promise<number>((resolve) => first.ws.addEventListener("close", (e) => resolve(e.code)));
    const second = await connect(id, hello);
    expect(await closed).toBe(4409);
    expect((await provider(id).chat(chatRequest())).content).toEqual([{ type: "text", text: "Hello" }]);
    second.close();
  });

  it("should answer 401 without a token, 403 for another device's token or scope, 426 without an upgrade", async ({
    expect,
  }) => {
    const id = deviceId();
    const path = `/api/v1/edge/${id}/connect`;
    const noToken = await call(path, { headers: { upgrade: "websocket" } });
    expect(noToken.status).toBe(401);
    expect(noToken.webSocket).toBeNull();
    const otherDevice = await call(path, {
      token: await token(["edge:device"], { sub: "pi-other" }),
      headers: { upgrade: "websocket" },
    });
    expect(otherDevice.status).toBe(403);
    expect((await json<{ error: { message: string } }>(otherDevice)).error.message).toContain(id);
    const admin = await call(path, {
      token: await token(["admin"], { sub: "root" }),
      headers: { upgrade: "websocket" },
    });
    expect(admin.status).toBe(403);
    const wrongScope = await call(path, {
      token: await token(["models:infer"], { sub: id }),
      headers: { upgrade: "websocket" },
    });
    expect(wrongScope.status).toBe(403);
    const plain = await call(path, { token: await token(["edge:device"], { sub: id }) });
    expect(plain.status).toBe(426);
    expect((await json<{ error: { code: string } }>(plain)).error.code).toBe("upgrade_required");
    const badId = await call("/api/v1/edge/Bad_Id/connect", {
      token: await token(["edge:device"], { sub: "Bad_Id" }),
      headers: { upgrade: "websocket" },
    });
    expect(badId.status).toBe(400);
    expect((await json<{ error: { message: string } }>(badId)).error.message).toContain("param.device_id");
  });

  it("should answer bad device messages with an error frame and keep the connection", async ({ expect }) => {
    const id = deviceId();
    const device = await connect(id, hello);
    device.send("not json");
    device.send({ type: "chunk", job_id: "j", data: {} });
    device.send({ type: "teleport" });
    device.send({ type: "done", job_id: "no-such-job" });
    device.ws.send(new Uint8Array([1, 2, 3]));
    await expect
      .poll(() => device.frames.filter((f) => f.type === "error").length === 5, {
        message: "five error frames",
        timeout: 3000,
      })
      .toBe(true);
    const errors = device.frames.filter((f) => f.type === "error").map((f) => f.error);
    expect(errors.map((e) => e?.code)).toEqual([
      "invalid_json",
      "invalid_message",
      "invalid_message",
      "unknown_job",
      "invalid_message",
    ]);
    expect(errors[1]?.message).toContain("message.index");
    expect(errors[2]?.message).toContain("message.type");
    // Still connected and serving.
    expect((await provider(id).chat(chatRequest())).content).toEqual([{ type: "text", text: "Hello" }]);
    device.close();
  });

  it("should refuse a hello for another device and record the agent version of the right one", async ({ expect }) => {
    const id = deviceId();
    const device = await connect(id);
    await expect
      .poll(async () => (await edgeHub(env, id).status()).agent_version !== null, {
        message: "the hello",
        timeout: 3000,
      })
      .toBe(true);
    expect(await edgeHub(env, id).status()).toMatchObject({
      device_id: id,
      online: true,
      agent_version: "0.1.0-test",
      open_jobs: 0,
    });
    const closed = new Promise<number>((resolve) => device.ws.addEventListener("close", (e) => resolve(e.code)));
    device.send({ type: "hello", device_id: "pi-impostor", agent_version: "1" });
    expect(await closed).toBe(1008);
    expect(device.frames.find((f) => f.type === "error")?.error?.code).toBe("device_mismatch");
  });

  it("should count a device silent past the heartbeat window as offline until it beats again", async ({ expect }) => {
    const id = deviceId();
    const device = await connect(id, hello);
    await expect
      .poll(async () => (await edgeHub(env, id).status()).agent_version !== null, {
        message: "the hello",
        timeout: 3000,
      })
      .toBe(true);
    await runInDurableObject(hubStub(id), (hub: EdgeHub) => {
      hub.clock = () => Date.now() + 120_000;
    });
    expect(await edgeHub(env, id).isOnline()).toBe(false);
    expect((await failure(provider(id).chat(chatRequest()))).kind).toBe("unavailable");
    device.send({ type: "heartbeat" });
    await expect.poll(() => edgeHub(env, id).isOnline(), { message: "the heartbeat", timeout: 3000 }).toBe(true);
    expect((await provider(id).chat(chatRequest())).content).toEqual([{ type: "text", text: "Hello" }]);
    device.close();
  });

  it("should keep the device connected across hibernation", async ({ expect }) => {
    const id = deviceId();
    const device = await connect(id, hello);
    await expect
      .poll(async () => (await edgeHub(env, id).status()).agent_version !== null, {
        message: "the hello",
        timeout: 3000,
      })
      .toBe(true);
    await evictDurableObject(hubStub(id), { webSockets: "hibernate" });
    expect(await edgeHub(env, id).isOnline()).toBe(true);
    expect((await provider(id).chat(chatRequest())).content).toEqual([{ type: "text", text: "Hello" }]);
    device.ws.send('{"type":"ping"}');
    await expect
      .poll(() => device.frames.some((f) => f.type === "pong"), { message: "the pong", timeout: 3000 })
      .toBe(true);
    device.close();
  });
});
