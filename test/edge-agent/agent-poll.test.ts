/**
 * The agent with `EDGE_TRANSPORT=poll` against the fake hub's long-poll route: the same protocol as the socket
 * (hello, job ack/chunks/done, a command run once across a reconnect), and no upgrade ever attempted.
 */
import { afterEach, beforeEach, describe, it } from "vitest";
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
  running = await startAgent({ hubUrl: hub.url, ollamaUrl: ollama.url, env: { EDGE_TRANSPORT: "poll" } });
  await until(() => hub.messages("hello").length === 1);
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

describe("edge-agent session over the long-poll", () => {
  it("should say hello by poll and never try the WebSocket", ({ expect }) => {
    expect(hub.received[0]).toEqual({
      via: "poll",
      message: { type: "hello", device_id: DEVICE_ID, agent_version: "0.1.0" },
    });
    expect(hub.upgrades).toBe(0);
  });

  it("should ack a polled job and post its chunks and done", async ({ expect }) => {
    hub.send({
      type: "job",
      job_id: "job-poll",
      seq: 4,
      kind: "llm.chat",
      request: { model: "llama3.2", messages: [{ role: "user", content: "over http" }] },
      timeout_ms: 30_000,
    });
    await until(() => hub.messages("done").length === 1);
    expect(hub.messages("ack")).toEqual([{ type: "ack", seq: 4 }]);
    expect(hub.messages("chunk").map((c) => [c.index, c.data.done])).toEqual([
      [0, false],
      [1, false],
      [2, true],
    ]);
    expect(hub.received.every((r) => r.via === "poll")).toBe(true);
  });

  it("should run a command polled before and after a reconnect once and answer it both times", async ({ expect }) => {
    const write = {
      type: "command",
      id: "cmd-poll",
      seq: 11,
      name: "gpio.write",
      args: { pin: 24, value: 1 },
      expires_at: new Date(Date.now() + 60_000).toISOString(),
    } as const;
    hub.send(write);
    await until(() => hub.messages("command_result").length === 1);
    // A failed poll ends the connection; the agent reconnects and says hello again.
    hub.failPolls = 1;
    await until(() => hub.messages("hello").length === 2);
    hub.send(write);
    await until(() => hub.messages("command_result").length === 2);
    const answer = { type: "command_result", id: "cmd-poll", status: "succeeded", result: { pin: 24, value: 1 } };
    expect(hub.messages("command_result")).toEqual([answer, answer]);
    expect(running?.gpio.history.filter((w) => w.pin === 24)).toEqual([{ pin: 24, value: 1 }]);
  });
});
