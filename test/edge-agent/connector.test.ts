/**
 * The Connector's decisions with scripted transports: which failures fall back from the WebSocket to the
 * long-poll, the full-jitter backoff growing over failures and reset only after a connection that stayed up, and
 * stop() abandoning an attempt under way.
 */
import { describe, it } from "vitest";
import type { DeviceMessage } from "../../durable-objects/protocol.js";
import { Backoff } from "../../edge-agent/src/connection/backoff.js";
import { Connector } from "../../edge-agent/src/connection/connector.js";
import { AuthRejectedError, UpgradeRefusedError } from "../../edge-agent/src/connection/transport.js";
import type { Transport, TransportKind } from "../../edge-agent/src/connection/transport.js";
import { silentLogger } from "../../edge-agent/src/log.js";
import { until } from "./fake-hub.js";

interface FakeTransport extends Transport {
  end(reason: string): void;
}

function fakeTransport(kind: TransportKind): FakeTransport {
  let end: (reason: string) => void = () => {};
  const closed = new Promise<string>((resolve) => {
    end = resolve;
  });
  return {
    kind,
    closed,
    end,
    send: async (_message: DeviceMessage) => {},
    begin: () => {},
    close: async () => end("closed by the agent"),
  };
}

type Step = Error | "connect" | "hang";

/** A connector whose openers follow `script` in order; records each attempt and each delay. */
function scripted(mode: TransportKind, script: Step[]) {
  const attempts: TransportKind[] = [];
  const delays: number[] = [];
  const connected: FakeTransport[] = [];
  let clock = 0;
  const open = (kind: TransportKind) => (signal: AbortSignal) => {
    attempts.push(kind);
    const step = script.shift() ?? "hang";
    if (step instanceof Error) return Promise.reject(step);
    if (step === "hang") {
      return new Promise<Transport>((_resolve, reject) =>
        signal.addEventListener("abort", () => reject(new Error("abandoned"))),
      );
    }
    const transport = fakeTransport(kind);
    connected.push(transport);
    return Promise.resolve(transport);
  };
  const connector = new Connector({
    mode,
    openWebSocket: open("websocket"),
    openPoll: open("poll"),
    // random() = 0.999: each delay is just under its ceiling, so the ceiling's growth shows in the delays.
    backoff: new Backoff({ baseMs: 1, maxMs: 64, random: () => 0.999 }),
    minUptimeMs: 5000,
    log: silentLogger,
    onConnected: async () => {},
    onDisconnected: () => {},
    onReconnecting: (delayMs) => delays.push(delayMs),
    now: () => clock,
  });
  return {
    connector,
    attempts,
    delays,
    connected,
    advance: (ms: number) => {
      clock += ms;
    },
  };
}

describe("Connector", () => {
  it("should fall back to the long-poll only when the upgrade was answered with plain HTTP", async ({ expect }) => {
    const run = scripted("websocket", [
      new Error("connect ECONNREFUSED 127.0.0.1:8054"),
      new AuthRejectedError(401),
      new UpgradeRefusedError(502),
      "connect",
    ]);
    void run.connector.start();
    await until(() => run.connected.length === 1);
    expect(run.attempts).toEqual(["websocket", "websocket", "websocket", "poll"]);
    expect(run.connector.current?.kind).toBe("poll");
    // The next connection tries the socket first again.
    run.connected[0]?.end("poll failed");
    await until(() => run.attempts.length === 5);
    expect(run.attempts[4]).toBe("websocket");
    await run.connector.stop();
    await run.connector.finished();
  });

  it("should never try the socket in poll mode", async ({ expect }) => {
    const run = scripted("poll", [new Error("fetch failed"), "connect"]);
    void run.connector.start();
    await until(() => run.connected.length === 1);
    expect(run.attempts).toEqual(["poll", "poll"]);
    await run.connector.stop();
    run.connected[0]?.end("closed");
    await run.connector.finished();
  });

  it("should grow the backoff over failures and reset it only after a connection that stayed up", async ({
    expect,
  }) => {
    const fail = () => new Error("unreachable");
    const run = scripted("poll", [fail(), fail(), fail(), "connect", "connect", fail()]);
    void run.connector.start();
    await until(() => run.connected.length === 1);
    // Ceilings 1, 2, 4 ms: the draws just under them.
    expect(run.delays).toEqual([0, 1, 3]);
    run.advance(1000);
    run.connected[0]?.end("dropped after 1 s");
    await until(() => run.connected.length === 2);
    // Up for less than minUptimeMs: the backoff went on from attempt 3 (ceiling 8 ms).
    expect(run.delays).toEqual([0, 1, 3, 7]);
    run.advance(6000);
    run.connected[1]?.end("dropped after 6 s");
    await until(() => run.delays.length === 6);
    // Up for 6 s: reset, so the next delays start from the first ceiling again.
    expect(run.delays.slice(4)).toEqual([0, 1]);
    await run.connector.stop();
    await run.connector.finished();
  });

  it("should abandon a connection attempt under way when stopped", async ({ expect }) => {
    const run = scripted("websocket", ["hang"]);
    void run.connector.start();
    await until(() => run.attempts.length === 1);
    await run.connector.stop();
    await run.connector.finished();
    expect(run.connector.current).toBeUndefined();
    expect(run.attempts).toEqual(["websocket"]);
  });
});
