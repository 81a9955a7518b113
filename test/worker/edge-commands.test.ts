/**
 * Edge commands and the long-poll channel, through the Worker's real entry: operators enqueue with
 * POST /api/v1/edge/devices/{id}/commands (and may wait for the result), a fake device receives them over
 * the WebSocket or POST /api/v1/edge/{id}/poll and answers `command_result`. The fake device keeps the ids
 * it ran (as the agent's on-disk ring buffer does), so redelivery after a reconnect or an eviction is shown
 * to run a command once. Also: device/operator auth, expiry by the hub's alarm, an inference job over poll.
 */
import { env } from "cloudflare:workers";
import { evictDurableObject, runDurableObjectAlarm, runInDurableObject } from "cloudflare:test";
import { describe, it } from "vitest";
import type { EdgeHub } from "../../durable-objects/edge-hub";
import { POLL_GAP_MS } from "../../durable-objects/edge-hub-presence";
import { createOllamaProvider } from "../../workers/models/providers/ollama";
import type { ChatRequest } from "../../workers/models/types";
import { call, json, token, uniqueId } from "./helpers";
import { stopClock } from "./support/clock";
import { openDeviceSocket } from "./support/edge-device";

interface Frame {
  type: string;
  id?: string;
  seq?: number;
  name?: string;
  args?: Record<string, unknown>;
  expires_at?: string;
  job_id?: string;
  error?: { code: string; message: string };
}

interface Command {
  id: string;
  seq: number;
  name: string;
  args: Record<string, unknown>;
  status: string;
  attempts: number;
  result: unknown;
  error: string | null;
  expires_at: string;
  created_at: string;
}

const deviceId = () => uniqueId("pi").toLowerCase();
const hubStub = (id: string) => env.EDGE_HUB.getByName(id);
const operator = () => token(["edge:command"], { sub: "operator" });
const reader = () => token(["edge:read"], { sub: "operator" });

/** What the fake agent keeps across connections: ids it ran and their results (its on-disk ring buffer). */
class DeviceMemory {
  readonly ran: string[] = [];
  readonly results = new Map<string, unknown>();
  /** Runs a command once per id; a repeat is answered with the first result. */
  run(frame: Frame): unknown {
    const id = frame.id ?? "";
    if (!this.results.has(id)) {
      this.ran.push(id);
      this.results.set(id, { pin: frame.args?.pin ?? null, value: 1 });
    }
    return this.results.get(id);
  }
}

/** A WebSocket device; with `answer`, each command is run (once per id) and its result sent. */
async function connect(id: string, memory: DeviceMemory, answer: boolean) {
  const ws = await openDeviceSocket(id);
  const frames: Frame[] = [];
  ws.addEventListener("message", (e) => {
    const frame = JSON.parse(String(e.data)) as Frame;
    frames.push(frame);
    if (answer && frame.type === "command") {
      const result = memory.run(frame);
      ws.send(JSON.stringify({ type: "command_result", id: frame.id, status: "succeeded", result }));
    }
  });
  ws.accept();
  ws.send(JSON.stringify({ type: "hello", device_id: id, agent_version: "0.1.0-test" }));
  return { ws, frames, commands: () => frames.filter((f) => f.type === "command") };
}

async function enqueue(id: string, body: unknown, query = "", auth?: string): Promise<Response> {
  return call(`/api/v1/edge/devices/${id}/commands${query}`, {
    method: "POST",
    body,
    token: auth ?? (await operator()),
  });
}

async function getCommand(id: string, commandId: string): Promise<Command> {
  const res = await call(`/api/v1/edge/devices/${id}/commands/${commandId}`, { token: await reader() });
  if (res.status !== 200) throw new Error(`GET command: ${res.status} ${await res.text()}`);
  return json<Command>(res);
}

async function poll(id: string, messages: unknown[], wait = "0", sub = id): Promise<Response> {
  return call(`/api/v1/edge/${id}/poll?wait=${wait}`, {
    method: "POST",
    body: { messages },
    token: await token(["edge:device"], { sub }),
  });
}

async function pollFrames(id: string, messages: unknown[], wait = "0"): Promise<Frame[]> {
  const res = await poll(id, messages, wait);
  if (res.status !== 200) throw new Error(`poll: ${res.status} ${await res.text()}`);
  return (await json<{ messages: Frame[] }>(res)).messages;
}

const gpioWrite = { name: "gpio.write", args: { pin: 18, value: 1 } };

describe("POST /api/v1/edge/{device_id}/poll auth", () => {
  it("should answer 403 to a device token for another device, admin included", async ({ expect }) => {
    const id = deviceId();
    const res = await poll(id, [], "0", "pi-someone-else");
    expect(res.status).toBe(403);
    const body = await json<{ error: { code: string; details: { required: string } } }>(res);
    expect(body.error.code).toBe("forbidden");
    expect(body.error.details.required).toBe(`sub = ${id}`);
    const admin = await call(`/api/v1/edge/${id}/poll?wait=0`, {
      method: "POST",
      body: { messages: [] },
      token: await token(["admin"], { sub: "operator" }),
    });
    expect(admin.status).toBe(403);
  });
});

describe("edge command routes", () => {
  it("should let only edge:command enqueue and edge:read read", async ({ expect }) => {
    const id = deviceId();
    for (const scope of ["edge:read", "edge:device"]) {
      const res = await enqueue(id, gpioWrite, "", await token([scope], { sub: id }));
      expect(res.status, scope).toBe(403);
      expect((await json<{ error: { details: { required: string } } }>(res)).error.details.required).toBe(
        "edge:command",
      );
    }
    const created = await enqueue(id, gpioWrite);
    expect(created.status).toBe(201);
    const command = await json<Command>(created);
    expect(command).toMatchObject({ name: "gpio.write", args: { pin: 18, value: 1 }, status: "pending", attempts: 0 });
    expect(Date.parse(command.expires_at) - Date.parse(command.created_at)).toBe(300_000);
    const denied = await call(`/api/v1/edge/devices/${id}/commands/${command.id}`, { token: await operator() });
    expect(denied.status).toBe(403);
    const list = await call(`/api/v1/edge/devices/${id}/commands`, { token: await reader() });
    expect(list.status).toBe(200);
    expect((await json<{ commands: Command[] }>(list)).commands.map((c) => c.id)).toEqual([command.id]);
  });

  it("should refuse unknown command names and arguments naming the field", async ({ expect }) => {
    const id = deviceId();
    const cases: [unknown, string][] = [
      [{ name: "shell.exec", args: {} }, "body.name"],
      [{ name: "gpio.read", args: { pin: 28 } }, "body.args.pin"],
      [{ name: "telemetry.read", args: { extra: 1 } }, "body.args"],
      [{ ...gpioWrite, expires_in: 0 }, "body.expires_in"],
    ];
    for (const [body, field] of cases) {
      const res = await enqueue(id, body);
      expect(res.status, field).toBe(400);
      expect((await json<{ error: { message: string } }>(res)).error.message, field).toContain(field);
    }
    const badWait = await enqueue(id, gpioWrite, "?wait=forever");
    expect(badWait.status).toBe(400);
  });
});

describe("edge commands over the WebSocket", () => {
  it("should deliver a command and answer ?wait inline with its result", async ({ expect }) => {
    const id = deviceId();
    const memory = new DeviceMemory();
    const device = await connect(id, memory, true);
    const res = await enqueue(id, { name: "gpio.read", args: { pin: 23 } }, "?wait=5s");
    expect(res.status).toBe(200);
    const command = await json<Command>(res);
    expect(command).toMatchObject({ status: "succeeded", result: { pin: 23, value: 1 }, attempts: 1, error: null });
    expect(device.commands()).toEqual([
      {
        type: "command",
        id: command.id,
        seq: command.seq,
        name: "gpio.read",
        args: { pin: 23 },
        expires_at: command.expires_at,
      },
    ]);
    expect(memory.ran).toEqual([command.id]);
    device.ws.close(1000, "bye");
  });

  it("should answer 202 while the device has not answered within ?wait", async ({ expect }) => {
    const id = deviceId();
    const device = await connect(id, new DeviceMemory(), false);
    const res = await enqueue(id, gpioWrite, "?wait=200ms");
    expect(res.status).toBe(202);
    expect((await json<Command>(res)).status).toBe("delivered");
    device.ws.close(1000, "bye");
  });

  it("should resend an unanswered command after a reconnect and run it once", async ({ expect }) => {
    const id = deviceId();
    const memory = new DeviceMemory();
    const first = await connect(id, memory, false);
    const command = await json<Command>(await enqueue(id, gpioWrite));
    await expect.poll(() => first.commands().length, { timeout: 3000 }).toBe(1);
    // The device ran it but the connection dropped before its result went out.
    memory.run(first.commands()[0] ?? { type: "none" });
    first.ws.close(1000, "bye");
    const second = await connect(id, memory, true);
    await expect.poll(async () => (await getCommand(id, command.id)).status, { timeout: 3000 }).toBe("succeeded");
    expect(second.commands().map((f) => f.id)).toEqual([command.id]);
    expect(memory.ran).toEqual([command.id]);
    expect((await getCommand(id, command.id)).attempts).toBe(2);
    // A repeated result for a finished command changes nothing.
    second.ws.send(JSON.stringify({ type: "command_result", id: command.id, status: "failed", error: "late" }));
    second.ws.send(JSON.stringify({ type: "command_result", id: "no-such-command", status: "failed" }));
    await new Promise((r) => setTimeout(r, 50));
    expect(await getCommand(id, command.id)).toMatchObject({ status: "succeeded", error: null });
    expect(second.frames.filter((f) => f.type === "error")).toEqual([]);
    second.ws.close(1000, "bye");
  });

  it("should deliver a command queued while offline after the hub was evicted", async ({ expect }) => {
    const id = deviceId();
    const memory = new DeviceMemory();
    const command = await json<Command>(await enqueue(id, gpioWrite));
    expect(command.status).toBe("pending");
    await evictDurableObject(hubStub(id));
    const device = await connect(id, memory, true);
    await expect.poll(async () => (await getCommand(id, command.id)).status, { timeout: 3000 }).toBe("succeeded");
    expect(memory.ran).toEqual([command.id]);
    expect(device.commands().map((f) => f.id)).toEqual([command.id]);
    device.ws.close(1000, "bye");
  });

  it("should resend a delivered command after an eviction closed the socket, running it once", async ({ expect }) => {
    const id = deviceId();
    const memory = new DeviceMemory();
    const first = await connect(id, memory, false);
    const command = await json<Command>(await enqueue(id, gpioWrite));
    await expect.poll(() => first.commands().length, { timeout: 3000 }).toBe(1);
    await evictDurableObject(hubStub(id), { webSockets: "close" });
    const second = await connect(id, memory, true);
    await expect.poll(async () => (await getCommand(id, command.id)).status, { timeout: 3000 }).toBe("succeeded");
    expect(memory.ran).toEqual([command.id]);
    second.ws.close(1000, "bye");
  });
});

describe("edge commands over long-poll", () => {
  it("should carry the same command and result as the socket", async ({ expect }) => {
    const id = deviceId();
    const memory = new DeviceMemory();
    expect(await pollFrames(id, [{ type: "hello", device_id: id, agent_version: "0.1.0-test" }])).toEqual([]);
    const command = await json<Command>(await enqueue(id, gpioWrite));
    const frames = await pollFrames(id, []);
    expect(frames).toEqual([
      {
        type: "command",
        id: command.id,
        seq: command.seq,
        name: "gpio.write",
        args: { pin: 18, value: 1 },
        expires_at: command.expires_at,
      },
    ]);
    // Handed out already: the next poll does not repeat it while the device works on it.
    expect(await pollFrames(id, [{ type: "heartbeat" }])).toEqual([]);
    const result = memory.run(frames[0] ?? { type: "none" });
    expect(await pollFrames(id, [{ type: "command_result", id: command.id, status: "succeeded", result }])).toEqual([]);
    expect(await getCommand(id, command.id)).toMatchObject({ status: "succeeded", result: { pin: 18, value: 1 } });
    expect(memory.ran).toEqual([command.id]);
    const status = await runInDurableObject(hubStub(id), (hub: EdgeHub) => hub.status());
    expect(status).toMatchObject({ device_id: id, online: true, agent_version: "0.1.0-test" });
  });

  it("should count a polling device online until POLL_GAP_MS passed with no poll", async ({ expect }) => {
    const id = deviceId();
    expect(await runInDurableObject(hubStub(id), (hub: EdgeHub) => hub.isOnline())).toBe(false);
    await pollFrames(id, []);
    const onlineAfter = (lead: number) =>
      runInDurableObject(hubStub(id), (hub: EdgeHub) => {
        hub.clock = () => Date.now() + lead;
        return hub.isOnline();
      });
    try {
      expect(await onlineAfter(0)).toBe(true);
      expect(await onlineAfter(POLL_GAP_MS - 1000)).toBe(true);
      expect(await onlineAfter(POLL_GAP_MS + 1000)).toBe(false);
    } finally {
      await stopClock(hubStub(id), null);
    }
  });

  it("should answer a waiting poll as soon as a command is queued", async ({ expect }) => {
    const id = deviceId();
    await pollFrames(id, []);
    const waiting = pollFrames(id, [], "10s");
    // Let the poll reach the hub and start waiting before the command is queued.
    await expect
      .poll(() => runInDurableObject(hubStub(id), (hub: EdgeHub) => hub.isOnline()), { timeout: 3000 })
      .toBe(true);
    await new Promise((r) => setTimeout(r, 100));
    const res = await enqueue(id, { name: "telemetry.read", args: {} });
    const frames = await waiting;
    expect(frames.map((f) => [f.type, f.name])).toEqual([["command", "telemetry.read"]]);
    expect(res.status).toBe(201);
  });

  it("should answer an unknown job's chunk with an error frame in the poll's answer", async ({ expect }) => {
    const id = deviceId();
    const frames = await pollFrames(id, [{ type: "done", job_id: "no-such-job" }]);
    expect(frames).toEqual([{ type: "error", error: { code: "unknown_job", message: "no job 'no-such-job'" } }]);
  });

  it("should mark a command past its expiry expired when the hub's alarm runs", async ({ expect }) => {
    const id = deviceId();
    const command = await json<Command>(await enqueue(id, { ...gpioWrite, expires_in: 60 }));
    expect(Date.parse(command.expires_at) - Date.parse(command.created_at)).toBe(60_000);
    await runInDurableObject(hubStub(id), (hub: EdgeHub) => {
      hub.clock = () => Date.now() + 61_000;
    });
    expect(await runDurableObjectAlarm(hubStub(id))).toBe(true);
    const after = await getCommand(id, command.id);
    expect(after.status).toBe("expired");
    // An expired command is not handed to the device any more.
    expect(await pollFrames(id, [])).toEqual([]);
  });

  it("should run an inference job over long-poll", async ({ expect }) => {
    const id = deviceId();
    await pollFrames(id, [{ type: "hello", device_id: id, agent_version: "0.1.0-test" }]);
    const provider = createOllamaProvider({ name: "ollama", type: "ollama", edgeDevice: id }, env, {});
    const request: ChatRequest = {
      model: "qwen2.5:32b",
      messages: [{ role: "user", content: [{ type: "text", text: "hi" }] }],
      params: { temperature: 0 },
      signal: AbortSignal.timeout(10_000),
    };
    const answer = provider.chat(request);
    const frames = await pollFrames(id, [], "5s");
    const job = frames.find((f) => f.type === "job");
    expect(job).toMatchObject({ type: "job", kind: "llm.chat" });
    const jobId = job?.job_id ?? "";
    const at = { model: "qwen2.5:32b", created_at: "2025-01-01T00:00:00Z" };
    const reply = await pollFrames(id, [
      { type: "ack", seq: job?.seq ?? 0 },
      {
        type: "chunk",
        job_id: jobId,
        index: 0,
        data: { ...at, message: { role: "assistant", content: "Hi" }, done: false },
      },
      {
        type: "chunk",
        job_id: jobId,
        index: 1,
        data: { ...at, message: { role: "assistant", content: "" }, done: true, done_reason: "stop" },
      },
      { type: "done", job_id: jobId },
    ]);
    expect(reply).toEqual([]);
    expect((await answer).content).toEqual([{ type: "text", text: "Hi" }]);
  });
});
