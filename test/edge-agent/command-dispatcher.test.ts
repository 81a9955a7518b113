import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterEach, beforeEach, describe, it } from "vitest";
import { CommandDispatcher } from "../../edge-agent/src/commands/dispatcher.js";
import type { CommandExecutors } from "../../edge-agent/src/commands/dispatcher.js";
import { CommandLedger } from "../../edge-agent/src/commands/ledger.js";
import { GpioError } from "../../edge-agent/src/gpio/backend.js";
import type { CommandLedgerOptions } from "../../edge-agent/src/commands/ledger.js";

let dir: string;
let file: string;
const ledgers: CommandLedger[] = [];

beforeEach(async () => {
  dir = await mkdtemp(path.join(tmpdir(), "edge-ledger-"));
  file = path.join(dir, "commands.jsonl");
});

afterEach(async () => {
  for (const ledger of ledgers.splice(0)) await ledger.close().catch(() => undefined);
  await rm(dir, { recursive: true, force: true });
});

async function openLedger(options: CommandLedgerOptions = {}): Promise<CommandLedger> {
  const ledger = await CommandLedger.open(file, options);
  ledgers.push(ledger);
  return ledger;
}

/** Ends a "process": the ledger's file stays, the instance goes. */
async function stop(ledger: CommandLedger): Promise<void> {
  await ledger.close();
  ledgers.splice(ledgers.indexOf(ledger), 1);
}

/** In-memory GPIO, telemetry and Ollama stand-ins that count every call. */
function fakeExecutors() {
  const calls: string[] = [];
  const pins = new Map<number, 0 | 1>();
  const executors: CommandExecutors = {
    gpioWrite(pin, value) {
      calls.push(`gpio.write ${pin}=${value}`);
      pins.set(pin, value);
      return Promise.resolve();
    },
    gpioRead(pin) {
      calls.push(`gpio.read ${pin}`);
      return Promise.resolve(pins.get(pin) ?? 0);
    },
    readTelemetry() {
      calls.push("telemetry.read");
      return Promise.resolve({ cpu_temp_c: 48.3, throttled: 0 });
    },
    listModels() {
      calls.push("llm.models");
      return Promise.resolve({ pulled: ["llama3.2"], loaded: [] });
    },
    scheduleRestart() {
      calls.push("agent.restart");
      return Promise.resolve();
    },
  };
  return { executors, calls, pins };
}

const write18 = { id: "cmd-1", seq: 7, name: "gpio.write", args: { pin: 18, value: 1 } };

describe("CommandDispatcher", () => {
  it("should run a command once and answer a copy re-sent after a reconnect with the same result", async ({
    expect,
  }) => {
    const { executors, calls } = fakeExecutors();
    const dispatcher = new CommandDispatcher(await openLedger(), executors);
    const first = await dispatcher.dispatch(write18);
    expect(first).toEqual({ id: "cmd-1", seq: 7, status: "succeeded", result: { pin: 18, value: 1 } });
    // The hub re-sends every unacknowledged command after a reconnect.
    expect(await dispatcher.dispatch(write18)).toEqual(first);
    expect(calls).toEqual(["gpio.write 18=1"]);
  });

  it("should answer a command re-sent after a restart from the ledger without running it", async ({ expect }) => {
    const before = fakeExecutors();
    const ledger = await openLedger();
    const first = await new CommandDispatcher(ledger, before.executors).dispatch(write18);
    await new CommandDispatcher(ledger, before.executors).dispatch({ id: "cmd-2", seq: 8, name: "agent.restart" });
    await stop(ledger);

    const after = fakeExecutors();
    const dispatcher = new CommandDispatcher(await openLedger(), after.executors);
    expect(await dispatcher.dispatch(write18)).toEqual(first);
    // The restart command itself must not loop the agent through restarts.
    expect(await dispatcher.dispatch({ id: "cmd-2", seq: 8, name: "agent.restart", args: {} })).toEqual({
      id: "cmd-2",
      seq: 8,
      status: "succeeded",
      result: { restarting: true },
    });
    expect(before.calls).toEqual(["gpio.write 18=1", "agent.restart"]);
    expect(after.calls).toEqual([]);
  });

  it("should run a copy that arrives while the first is still running only once", async ({ expect }) => {
    const { executors, calls } = fakeExecutors();
    let release = () => {};
    const gate = new Promise<void>((resolve) => (release = resolve));
    const slow: CommandExecutors = {
      ...executors,
      async readTelemetry() {
        calls.push("telemetry.read");
        await gate;
        return { cpu_temp_c: 61 };
      },
    };
    const dispatcher = new CommandDispatcher(await openLedger(), slow);
    const command = { id: "cmd-3", seq: 9, name: "telemetry.read", args: {} };
    const a = dispatcher.dispatch(command);
    const b = dispatcher.dispatch(command);
    release();
    const expected = { id: "cmd-3", seq: 9, status: "succeeded", result: { cpu_temp_c: 61 } };
    expect(await a).toEqual(expected);
    expect(await b).toEqual(expected);
    expect(calls).toEqual(["telemetry.read"]);
  });

  it("should read a pin and list models through the executors", async ({ expect }) => {
    const { executors, pins } = fakeExecutors();
    pins.set(23, 1);
    const dispatcher = new CommandDispatcher(await openLedger(), executors);
    expect(await dispatcher.dispatch({ id: "r", seq: 1, name: "gpio.read", args: { pin: 23 } })).toEqual({
      id: "r",
      seq: 1,
      status: "succeeded",
      result: { pin: 23, value: 1 },
    });
    expect(await dispatcher.dispatch({ id: "m", seq: 2, name: "llm.models", args: {} })).toMatchObject({
      status: "succeeded",
      result: { pulled: ["llama3.2"], loaded: [] },
    });
  });

  it("should reject an unknown command, naming the field, and answer it the same way again", async ({ expect }) => {
    const { executors, calls } = fakeExecutors();
    const dispatcher = new CommandDispatcher(await openLedger(), executors);
    const ack = await dispatcher.dispatch({ id: "u", seq: 3, name: "gpio.explode", args: {} });
    expect(ack).toEqual({
      id: "u",
      seq: 3,
      status: "rejected",
      error: {
        code: "unknown_command",
        message:
          'unknown command "gpio.explode"; known: gpio.write, gpio.read, telemetry.read, llm.models, agent.restart',
        details: { field: "name" },
      },
    });
    expect(await dispatcher.dispatch({ id: "u", seq: 3, name: "gpio.explode", args: {} })).toEqual(ack);
    expect(calls).toEqual([]);
  });

  it("should reject bad args with an error naming each bad field", async ({ expect }) => {
    const { executors, calls } = fakeExecutors();
    const dispatcher = new CommandDispatcher(await openLedger(), executors);
    const ack = await dispatcher.dispatch({ id: "b", seq: 4, name: "gpio.write", args: { pin: "18", value: 2 } });
    expect(ack.status).toBe("rejected");
    if (ack.status !== "rejected") return;
    expect(ack.error.code).toBe("invalid_args");
    expect(ack.error.message).toMatch(/^gpio\.write: pin: .*; value: /);
    expect((ack.error.details as { issues: { field: string }[] }).issues.map((i) => i.field)).toEqual(["pin", "value"]);
    const extra = await dispatcher.dispatch({ id: "c", seq: 5, name: "gpio.read", args: { pin: 99 } });
    expect(extra).toMatchObject({ status: "rejected", error: { code: "invalid_args" } });
    expect(extra.status === "rejected" ? extra.error.message : "").toMatch(/^gpio\.read: pin: /);
    expect(calls).toEqual([]);
  });

  it("should record a failed command and not run it again", async ({ expect }) => {
    const { executors, calls } = fakeExecutors();
    const failing: CommandExecutors = {
      ...executors,
      gpioWrite(pin) {
        calls.push(`gpio.write ${pin}`);
        return Promise.reject(new Error("gpioset: pin 18 busy"));
      },
    };
    const dispatcher = new CommandDispatcher(await openLedger(), failing);
    const expected = {
      id: "cmd-1",
      seq: 7,
      status: "failed",
      error: { code: "execution_failed", message: "gpioset: pin 18 busy" },
    };
    expect(await dispatcher.dispatch(write18)).toEqual(expected);
    expect(await dispatcher.dispatch(write18)).toEqual(expected);
    expect(calls).toEqual(["gpio.write 18"]);
  });

  it("should answer a pin the GPIO guard refuses as rejected, not failed", async ({ expect }) => {
    const { executors } = fakeExecutors();
    const guarded: CommandExecutors = {
      ...executors,
      gpioWrite: (pin) =>
        Promise.reject(new GpioError("pin_not_allowed", `pin ${pin} is not in the allowed set (18, 23)`)),
    };
    const dispatcher = new CommandDispatcher(await openLedger(), guarded);
    expect(await dispatcher.dispatch({ ...write18, args: { pin: 5, value: 1 } })).toEqual({
      id: "cmd-1",
      seq: 7,
      status: "rejected",
      error: { code: "pin_not_allowed", message: "pin 5 is not in the allowed set (18, 23)" },
    });
  });

  it("should refuse a frame that is not a command", async ({ expect }) => {
    const dispatcher = new CommandDispatcher(await openLedger(), fakeExecutors().executors);
    await expect(dispatcher.dispatch({ seq: 1, name: "gpio.read" })).rejects.toThrow(/id/);
  });
});

describe("CommandLedger", () => {
  it("should answer a command cut off by a crash as interrupted instead of running it again", async ({ expect }) => {
    const ledger = await openLedger();
    await ledger.start("cmd-1", 7, "gpio.write");
    await stop(ledger); // no finish: the process died while the command ran

    const { executors, calls } = fakeExecutors();
    const dispatcher = new CommandDispatcher(await openLedger(), executors);
    expect(await dispatcher.dispatch(write18)).toEqual({
      id: "cmd-1",
      seq: 7,
      status: "failed",
      error: {
        code: "interrupted",
        message: "the agent stopped while this command was running; it was not run again",
      },
    });
    expect(calls).toEqual([]);
  });

  it("should forget entries older than maxAgeMs, also across a restart", async ({ expect }) => {
    let now = 1_000_000;
    const options = { maxAgeMs: 60_000, now: () => now };
    const ledger = await openLedger(options);
    await ledger.start("old", 1, "telemetry.read");
    await ledger.finish("old", { status: "succeeded", result: {} });
    now += 30_000;
    await ledger.start("mid", 2, "telemetry.read");
    await ledger.finish("mid", { status: "succeeded", result: {} });
    now += 40_000; // "old" is 70 s old, "mid" 40 s
    await ledger.start("new", 3, "telemetry.read");
    await ledger.finish("new", { status: "succeeded", result: { n: 3 } });
    expect(ledger.get("old")).toBeUndefined();
    expect(ledger.get("mid")?.outcome).toEqual({ status: "succeeded", result: {} });
    await stop(ledger);

    now += 25_000; // "mid" is now 65 s old
    const reopened = await openLedger(options);
    expect([reopened.get("old"), reopened.get("mid")]).toEqual([undefined, undefined]);
    expect(reopened.get("new")).toEqual({
      id: "new",
      seq: 3,
      name: "telemetry.read",
      at: 1_070_000,
      outcome: { status: "succeeded", result: { n: 3 } },
    });
  });

  it("should keep at most maxEntries, oldest pruned first", async ({ expect }) => {
    const ledger = await openLedger({ maxEntries: 3 });
    for (const id of ["a", "b", "c", "d", "e"]) {
      await ledger.start(id, 1, "gpio.read");
      await ledger.finish(id, { status: "succeeded", result: { id } });
    }
    expect(ledger.size).toBe(3);
    expect(["a", "b", "c", "d", "e"].map((id) => ledger.get(id) !== undefined)).toEqual([
      false,
      false,
      true,
      true,
      true,
    ]);
    await stop(ledger);
    expect((await openLedger({ maxEntries: 3 })).size).toBe(3);
  });
});
