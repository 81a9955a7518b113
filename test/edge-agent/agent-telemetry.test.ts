/**
 * Telemetry across an outage and an agent restart: readings taken while the hub is down stay in the on-disk
 * buffer (also through a new agent on the same state directory) and reach the hub oldest first, ids unchanged,
 * once it is back; a socket that stops answering pings is taken for dead and replaced.
 */
import { afterEach, beforeEach, describe, it } from "vitest";
import { DEVICE_ID, TOKEN, removeState, startAgent } from "./agent-harness.js";
import type { Harness } from "./agent-harness.js";
import { startFakeEdgeOllama } from "./fake-edge-ollama.js";
import type { FakeEdgeOllama } from "./fake-edge-ollama.js";
import { FakeHub, until } from "./fake-hub.js";

let hub: FakeHub;
let ollama: FakeEdgeOllama;
const agents: Harness[] = [];

beforeEach(async () => {
  hub = new FakeHub({ deviceId: DEVICE_ID, token: TOKEN });
  await hub.start();
  ollama = await startFakeEdgeOllama();
});

afterEach(async () => {
  for (const harness of agents.splice(0)) {
    await harness.agent.stop();
    await removeState(harness.stateDir);
  }
  await hub.stop();
  await ollama.close();
});

describe("edge-agent telemetry buffer", () => {
  it("should deliver readings taken while the hub was down, across an agent restart, oldest first", async ({
    expect,
  }) => {
    await hub.stop();
    const first = await startAgent({ hubUrl: hub.url, ollamaUrl: ollama.url });
    // The reading at start, then two more, all while nothing listens.
    await until(() => first.agent.buffer.size === 1);
    await first.agent.telemetry.tick();
    await first.agent.telemetry.tick();
    const before = first.agent.buffer.peek().map((s) => s.id);
    expect(before).toHaveLength(3);
    await first.agent.stop();

    const second = await startAgent({ hubUrl: hub.url, ollamaUrl: ollama.url, stateDir: first.stateDir });
    agents.push(second);
    await until(() => second.agent.buffer.size === 4);
    const all = second.agent.buffer.peek().map((s) => s.id);
    expect(all.slice(0, 3)).toEqual(before);

    await hub.start();
    await until(() => hub.messages("telemetry").length === 4);
    expect(hub.messages("telemetry").map((t) => t.id)).toEqual(all);
    expect(hub.received[0]?.message.type).toBe("hello");
    await until(() => second.agent.buffer.size === 0);
  });

  it("should take a socket whose pings go unanswered for dead and reconnect", async ({ expect }) => {
    agents.push(await startAgent({ hubUrl: hub.url, ollamaUrl: ollama.url }));
    await until(() => hub.messages("hello").length === 1);
    hub.answerPings = false;
    // Two ping intervals (100 ms each in the harness) with nothing received: terminated, then a new socket.
    await until(() => hub.messages("hello").length === 2);
    await until(() => hub.closes.length === 1);
    // Cut by the agent without a close handshake: the hub sees an abnormal closure.
    expect(hub.closes).toEqual([1006]);
  });
});
