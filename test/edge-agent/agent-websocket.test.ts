/**
 * The agent over its WebSocket against the fake hub and fake Ollama: hello, a job's ack/chunks/done and its
 * replay, cancel reaching the upstream, a command run once across a reconnect, the hub's alert on the error LED,
 * agent.restart, and the fall-back to the long-poll when the upgrade is refused.
 */
import { afterEach, beforeEach, describe, it } from "vitest";
import type { CommandMessage, HubMessage } from "../../durable-objects/protocol.js";
import { DEVICE_ID, TOKEN, removeState, startAgent } from "./agent-harness.js";
import type { Harness } from "./agent-harness.js";
import { startFakeEdgeOllama } from "./fake-edge-ollama.js";
import type { FakeEdgeOllama } from "./fake-edge-ollama.js";
import { FakeHub, until } from "./fake-hub.js";

let hub: FakeHub;
let ollama: FakeEdgeOllama;
let running: Harness | undefined;

beforeEach(async () => {
  hub = new FakeHub({ deviceId: DEVICE_ID, token: TOKEN });
  await hub.start();
  ollama = await startFakeEdgeOllama();
});

afterEach(async () => {
  if (running) {
    await running.agent.stop();
    await removeState(running.stateDir);
    running = undefined;
  }
  await hub.stop();
  await ollama.close();
});

async function connected(env: Record<string, string> = {}): Promise<Harness> {
  running = await startAgent({ hubUrl: hub.url, ollamaUrl: ollama.url, env });
  await until(() => hub.messages("hello").length === 1);
  return running;
}

const job = (jobId: string, model: string, content: string, seq: number): HubMessage => ({
  type: "job",
  job_id: jobId,
  seq,
  kind: "llm.chat",
  request: { model, messages: [{ role: "user", content }] },
  timeout_ms: 30_000,
});

const command = (id: string, seq: number, name: string, args: Record<string, unknown>): CommandMessage => ({
  type: "command",
  id,
  seq,
  name: name as "gpio.write",
  args,
  expires_at: new Date(Date.now() + 60_000).toISOString(),
});

describe("edge-agent session over WebSocket", () => {
  it("should connect with the device token and say hello first, then send its telemetry", async ({ expect }) => {
    const { gpio } = await connected();
    expect(hub.received[0]).toEqual({
      via: "websocket",
      message: { type: "hello", device_id: DEVICE_ID, agent_version: "0.1.0" },
    });
    await until(() => hub.messages("telemetry").length === 1);
    const [reading] = hub.messages("telemetry");
    expect(reading?.data).toMatchObject({
      cpu_temp_c: 54.2,
      throttled: { raw: 0x50005, under_voltage: true, throttled: true, under_voltage_occurred: true },
      ollama: { reachable: true, models: ["llama3.2", "hang"], loaded: ["llama3.2"] },
    });
    expect(reading?.id).toMatch(/^[0-9a-f-]{36}$/);
    // Connected: status LED on; Ollama up and 54.2 °C: error LED off.
    await until(() => gpio.value(18) === 1);
    expect(gpio.value(23)).toBe(0);
  });

  it("should ack a job, stream its chunks and done, and replay the same frames when the job is resent", async ({
    expect,
  }) => {
    await connected();
    hub.send(job("job-1", "llama3.2", "hello edge world", 1));
    await until(() => hub.messages("done").length === 1);
    expect(hub.messages("ack")).toEqual([{ type: "ack", seq: 1 }]);
    const chunks = hub.messages("chunk");
    expect(chunks.map((c) => [c.index, (c.data.message as { content: string }).content, c.data.done])).toEqual([
      [0, "hello", false],
      [1, "edge", false],
      [2, "world", false],
      [3, "", true],
    ]);
    hub.send(job("job-1", "llama3.2", "hello edge world", 1));
    await until(() => hub.messages("done").length === 2);
    expect(hub.messages("chunk").slice(4)).toEqual(chunks);
    expect(hub.messages("ack")).toEqual([
      { type: "ack", seq: 1 },
      { type: "ack", seq: 1 },
    ]);
    expect(ollama.chats.map((c) => c.content)).toEqual(["hello edge world"]);
  });

  it("should abort the upstream Ollama request on cancel and end the job with an error", async ({ expect }) => {
    await connected();
    hub.send(job("job-slow", "hang", "think hard", 2));
    await until(() => hub.messages("chunk").length === 1);
    expect(ollama.chats[0]?.abandoned).toBe(false);
    hub.send({ type: "cancel", job_id: "job-slow", reason: "budget exceeded" });
    await until(() => hub.messages("error").length === 1);
    expect(hub.messages("error")).toEqual([
      { type: "error", job_id: "job-slow", message: "cancelled: budget exceeded" },
    ]);
    await until(() => ollama.chats[0]?.abandoned === true);
    expect(hub.messages("done")).toEqual([]);
  });

  it("should stop a job at its time budget even when no cancel arrives", async ({ expect }) => {
    await connected();
    hub.send({ ...job("job-budget", "hang", "slow", 3), timeout_ms: 50 } as HubMessage);
    await until(() => hub.messages("error").length === 1);
    expect(hub.messages("error")).toEqual([
      { type: "error", job_id: "job-budget", message: "cancelled: time budget exceeded" },
    ]);
    await until(() => ollama.chats[0]?.abandoned === true);
  });

  it("should run a command sent before and after a reconnect once and answer it both times", async ({ expect }) => {
    const { gpio } = await connected();
    const write = command("cmd-1", 5, "gpio.write", { pin: 24, value: 1 });
    hub.send(write);
    await until(() => hub.messages("command_result").length === 1);
    hub.dropSockets();
    await until(() => hub.messages("hello").length === 2);
    hub.send(write);
    await until(() => hub.messages("command_result").length === 2);
    const answer = { type: "command_result", id: "cmd-1", status: "succeeded", result: { pin: 24, value: 1 } };
    expect(hub.messages("command_result")).toEqual([answer, answer]);
    expect(gpio.history.filter((w) => w.pin === 24)).toEqual([{ pin: 24, value: 1 }]);
  });

  it("should reject a pin outside the configured set and a command past its expiry, as strings", async ({ expect }) => {
    const { gpio } = await connected();
    hub.send(command("cmd-pin", 6, "gpio.write", { pin: 5, value: 1 }));
    hub.send({ ...command("cmd-old", 7, "gpio.write", { pin: 24, value: 1 }), expires_at: "2020-01-01T00:00:00Z" });
    await until(() => hub.messages("command_result").length === 2);
    const results = hub.messages("command_result").sort((a, b) => a.id.localeCompare(b.id));
    expect(results).toEqual([
      { type: "command_result", id: "cmd-old", status: "rejected", error: "expired: 2020-01-01T00:00:00Z" },
      {
        type: "command_result",
        id: "cmd-pin",
        status: "rejected",
        error: "pin_not_allowed: pin 5 is not in the allowed set (18, 23, 24)",
      },
    ]);
    expect(gpio.history.filter((w) => w.pin !== 18 && w.pin !== 23)).toEqual([]);
  });

  it("should reject gpio commands when GPIO integration is disabled", async ({ expect }) => {
    const { gpio } = await connected({ ENABLE_GPIO_INTEGRATION: "false" });
    hub.send(command("cmd-off-w", 12, "gpio.write", { pin: 24, value: 1 }));
    await until(() => hub.messages("command_result").length === 1);
    hub.send(command("cmd-off-r", 13, "gpio.read", { pin: 24 }));
    await until(() => hub.messages("command_result").length === 2);
    expect(hub.messages("command_result")).toEqual([
      {
        type: "command_result",
        id: "cmd-off-w",
        status: "rejected",
        error: "gpio_disabled: GPIO integration is disabled; pin 24 was not written",
      },
      {
        type: "command_result",
        id: "cmd-off-r",
        status: "rejected",
        error: "gpio_disabled: GPIO integration is disabled; pin 24 was not read",
      },
    ]);
    // Not even the LEDs: the status LED would be on by now.
    expect(gpio.history).toEqual([]);
  });

  it("should hold the error LED on while the hub's over-temperature alert is active", async ({ expect }) => {
    const { gpio } = await connected();
    await until(() => gpio.value(18) === 1);
    hub.send(command("alert-1", 8, "alert.set", { alert: "over_temperature", active: true }));
    await until(() => hub.messages("command_result").length === 1);
    expect(gpio.value(23)).toBe(1);
    hub.send(command("alert-2", 9, "alert.set", { alert: "over_temperature", active: false }));
    await until(() => hub.messages("command_result").length === 2);
    expect(gpio.value(23)).toBe(0);
    // A late resend of the older alert must not switch the LED back on.
    hub.send(command("alert-1", 8, "alert.set", { alert: "over_temperature", active: true }));
    await until(() => hub.messages("command_result").length === 3);
    expect(gpio.value(23)).toBe(0);
    expect(hub.messages("command_result").map((r) => [r.id, r.status])).toEqual([
      ["alert-1", "succeeded"],
      ["alert-2", "succeeded"],
      ["alert-1", "succeeded"],
    ]);
  });

  it("should call the restart hook once, after agent.restart's result went out", async ({ expect }) => {
    const harness = await connected();
    hub.send(command("restart-1", 10, "agent.restart", {}));
    await until(() => harness.restarts === 1);
    // The hook runs once the result was written to the socket; the hub reads it a moment later.
    await until(() => hub.messages("command_result").length === 1);
    expect(hub.messages("command_result")).toEqual([
      { type: "command_result", id: "restart-1", status: "succeeded", result: { restarting: true } },
    ]);
    hub.send(command("restart-1", 10, "agent.restart", {}));
    await until(() => hub.messages("command_result").length === 2);
    await harness.agent.session.idle();
    expect(harness.restarts).toBe(1);
  });
});

describe("edge-agent frames waiting when the device connects", () => {
  for (const transport of ["websocket", "poll"]) {
    it(`should say hello before acking a job the hub hands over at once (${transport})`, async ({ expect }) => {
      const waiting = job("job-early", "llama3.2", "early bird", 12);
      if (transport === "websocket") hub.greeting = [waiting];
      else hub.send(waiting);
      running = await startAgent({ hubUrl: hub.url, ollamaUrl: ollama.url, env: { EDGE_TRANSPORT: transport } });
      await until(() => hub.messages("done").length === 1);
      const order = hub.received.map((r) => r.message.type).filter((type) => type !== "telemetry");
      expect(order).toEqual(["hello", "ack", "chunk", "chunk", "chunk", "done"]);
      expect(hub.messages("ack")).toEqual([{ type: "ack", seq: 12 }]);
    });
  }
});

describe("edge-agent transport choice", () => {
  it("should fall back to the long-poll when the WebSocket upgrade is answered with plain HTTP", async ({ expect }) => {
    await hub.stop();
    hub = new FakeHub({ deviceId: DEVICE_ID, token: TOKEN, refuseUpgrade: 502 });
    await hub.start();
    await connected();
    expect(hub.upgrades).toBe(1);
    expect(hub.received[0]?.via).toBe("poll");
    hub.send(job("job-p", "llama3.2", "via poll", 3));
    await until(() => hub.messages("done").length === 1);
    expect(hub.received.filter((r) => r.message.type !== "telemetry").map((r) => [r.via, r.message.type])).toEqual([
      ["poll", "hello"],
      ["poll", "ack"],
      ["poll", "chunk"],
      ["poll", "chunk"],
      ["poll", "chunk"],
      ["poll", "done"],
    ]);
  });

  it("should not fall back when the hub refuses the token, and keep retrying the socket", async ({ expect }) => {
    running = await startAgent({ hubUrl: hub.url, ollamaUrl: ollama.url, env: { EDGE_DEVICE_TOKEN: "wrong" } });
    await until(() => hub.upgrades >= 3);
    expect(hub.polls).toBe(0);
    expect(hub.received).toEqual([]);
  });
});
