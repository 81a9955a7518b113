/**
 * Issue 10 end to end: botplane served as `npm start` serves it, the real edge-agent process (its built
 * JavaScript, `edge-agent/dist/main.js`) and a fake Ollama speaking the real NDJSON API. For each transport
 * (WebSocket, and `EDGE_TRANSPORT=poll`): a local-tier inference is answered through the Pi; with the agent
 * killed the next one falls to the next tier because the hub knows the device is offline (the attempt's reason
 * says so — no timeout waited out); a `gpio.write` issued while it was down runs exactly once after it comes
 * back (counted by a stand-in `gpioset` on the agent's PATH, the libgpiod v1 dialect); the local tier is used
 * again after the restart.
 */
import { type ChildProcess, execFile, spawn } from "node:child_process";
import { chmodSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type FakeOllama, startFakeOllama } from "../fakes/fake-ollama.ts";
import { type FakeUpstreams, startFakeUpstreams } from "../worker/fake-upstreams.ts";
import { type BotplaneServer, mintToken, startBotplane } from "./botplane-server.ts";

const root = join(import.meta.dirname, "../..");
const AGENT = join(root, "edge-agent/dist/main.js");
const WRITE_PIN = 17;

interface Json {
  [key: string]: unknown;
}

let dir: string;
let server: BotplaneServer;
let ollama: FakeOllama;
let upstreams: FakeUpstreams;
let admin: string;

async function call(
  token: string,
  method: string,
  path: string,
  body?: unknown,
): Promise<{ status: number; json: Json }> {
  const res = await fetch(`${server.origin}${path}`, {
    method,
    headers: { authorization: `Bearer ${token}`, "content-type": "application/json" },
    ...(body === undefined ? {} : { body: typeof body === "string" ? body : JSON.stringify(body) }),
  });
  const text = await res.text();
  return { status: res.status, json: text ? (JSON.parse(text) as Json) : {} };
}

/** Both devices' local tier first, the fake OpenAI second (its `fake-…` knobs unused: it echoes). */
function gatewayConfig(): string {
  const device = (id: string, fn: string) => `
[providers.${fn}_pi]
type = "ollama"
url = "edge:${id}"

[functions.${fn}]
type = "chat"
variants = ["local", "cloud"]

[functions.${fn}.variants.local]
provider = "${fn}_pi"
model = "llama3.2"

[functions.${fn}.variants.cloud]
provider = "cloud"
model = "gpt-e2e"
`;
  return `
[providers.cloud]
type = "openai"
url = "${upstreams.origin}/openai/v1"
api_key = "sk-e2e"
${device("pi-e2e-ws", "chat_ws")}${device("pi-e2e-poll", "chat_poll")}`;
}

interface Agent {
  proc: ChildProcess;
  exited: Promise<number | null>;
}

function startAgent(env: Record<string, string>, logPath: string): Agent {
  const proc = spawn(process.execPath, [AGENT], {
    env: { ...process.env, ...env },
    stdio: ["ignore", "pipe", "pipe"],
  });
  const log = (chunk: Buffer) => writeFileSync(logPath, chunk, { flag: "a" });
  proc.stdout?.on("data", log);
  proc.stderr?.on("data", log);
  return { proc, exited: new Promise((resolve) => proc.once("exit", (code) => resolve(code))) };
}

async function killAgent(agent: Agent): Promise<void> {
  agent.proc.kill("SIGKILL");
  await agent.exited;
}

async function deviceOnline(token: string, id: string): Promise<boolean | undefined> {
  const { status, json } = await call(token, "GET", `/api/v1/edge/devices/${id}`);
  return status === 200 ? (json.online as boolean) : undefined;
}

async function infer(fn: string, text: string): Promise<{ variant: string; inferenceId: string }> {
  const { status, json } = await call(admin, "POST", "/inference", {
    function_name: fn,
    input: { messages: [{ role: "user", content: text }] },
  });
  if (status !== 200) throw new Error(`/inference answered ${status}: ${JSON.stringify(json)}`);
  return { variant: json.variant_name as string, inferenceId: json.inference_id as string };
}

/** The logged attempts of one inference (the log is written off the request path, so wait for it). */
async function attempts(inferenceId: string): Promise<{ provider: string; status: string; reason: string }[]> {
  let found: Json | undefined;
  await expect
    .poll(
      async () => {
        const { status, json } = await call(admin, "GET", `/inferences/${inferenceId}`);
        found = status === 200 ? json : undefined;
        return status;
      },
      { timeout: 15_000, interval: 250 },
    )
    .toBe(200);
  return (found?.attempts ?? []) as { provider: string; status: string; reason: string }[];
}

beforeAll(async () => {
  // The bin as shipped, built from this tree (the build swaps the file in atomically, so the bin's own test
  // building it at the same time is harmless).
  await promisify(execFile)(process.execPath, [join(root, "edge-agent/scripts/build.mjs")]);
  dir = mkdtempSync(join(tmpdir(), "botplane-edge-e2e-"));
  [ollama, upstreams] = await Promise.all([startFakeOllama(), startFakeUpstreams()]);
  server = await startBotplane({ persistDir: join(dir, "state") });
  admin = await mintToken("e2e-admin", ["admin"]);
  const res = await fetch(`${server.origin}/api/v1/models/config`, {
    method: "PUT",
    headers: { authorization: `Bearer ${admin}`, "content-type": "text/plain" },
    body: gatewayConfig(),
  });
  if (res.status !== 200) throw new Error(`config answered ${res.status}: ${await res.text()}`);
});

afterAll(async () => {
  await server?.kill();
  await Promise.all([ollama?.close(), upstreams?.close()]);
  rmSync(dir, { recursive: true, force: true });
});

describe.each([
  { transport: "websocket", device: "pi-e2e-ws", fn: "chat_ws" },
  { transport: "poll", device: "pi-e2e-poll", fn: "chat_poll" },
])("edge-agent over $transport", ({ transport, device, fn }) => {
  it("should serve the local tier through the Pi, fall through at once while it is down, and run a command issued meanwhile exactly once", async () => {
    const home = join(dir, device);
    const bin = join(home, "bin");
    const gpioLog = join(home, "gpioset.log");
    mkdirSync(bin, { recursive: true });
    writeFileSync(gpioLog, "");
    // A stand-in for libgpiod v1's gpioset: answers the version probe and records every write it is asked for.
    writeFileSync(
      join(bin, "gpioset"),
      `#!/bin/sh\nif [ "$1" = "--version" ]; then echo "gpioset (libgpiod) v1.6.3"; exit 0; fi\necho "$*" >> "${gpioLog}"\n`,
    );
    chmodSync(join(bin, "gpioset"), 0o755);
    const token = await mintToken(device, ["edge:device"]);
    const operator = await mintToken(`${device}-operator`, ["edge:read", "edge:command"]);
    const env = {
      BOTPLANE_URL: server.origin,
      EDGE_DEVICE_ID: device,
      EDGE_DEVICE_TOKEN: token,
      EDGE_TRANSPORT: transport,
      OLLAMA_URL: ollama.url,
      ENABLE_GPIO_INTEGRATION: "true",
      GPIO_BACKEND: "gpiod",
      GPIO_ALLOWED_PINS: `${WRITE_PIN},18,23`,
      EDGE_STATE_DIR: join(home, "state"),
      TELEMETRY_INTERVAL_SECONDS: "2",
      // A polling device is seen offline at most its poll wait plus the hub's 10 s gap after it dies.
      EDGE_POLL_WAIT_SECONDS: "5",
      PATH: `${bin}:${process.env.PATH ?? ""}`,
    };
    const agentLog = join(home, "agent.log");
    let agent = startAgent(env, agentLog);
    try {
      await expect.poll(() => deviceOnline(operator, device), { timeout: 30_000, interval: 200 }).toBe(true);
      const first = await infer(fn, `${device}: through the pi`);
      expect(first.variant).toBe("local");

      await killAgent(agent);
      await expect.poll(() => deviceOnline(operator, device), { timeout: 40_000, interval: 100 }).toBe(false);
      const down = await infer(fn, `${device}: while the pi is down`);
      expect(down.variant).toBe("cloud");
      const tried = await attempts(down.inferenceId);
      expect(tried[0]?.provider).toBe(`${fn}_pi`);
      expect(tried[0]?.reason).toMatch(/not connected|offline/);
      expect(tried[0]?.reason).not.toMatch(/timeout|timed out/i);

      const queued = await call(operator, "POST", `/api/v1/edge/devices/${device}/commands`, {
        name: "gpio.write",
        args: { pin: WRITE_PIN, value: 1 },
      });
      expect(queued.status).toBe(201);
      const commandId = queued.json.id as string;
      expect(readFileSync(gpioLog, "utf8")).not.toContain(`${WRITE_PIN}=1`);

      agent = startAgent(env, agentLog);
      await expect.poll(() => deviceOnline(operator, device), { timeout: 30_000, interval: 200 }).toBe(true);
      await expect
        .poll(
          async () => {
            const { json } = await call(operator, "GET", `/api/v1/edge/devices/${device}/commands/${commandId}`);
            return json.status;
          },
          { timeout: 30_000, interval: 200 },
        )
        .toBe("succeeded");
      const again = await infer(fn, `${device}: the pi is back`);
      expect(again.variant).toBe("local");
      const writes = readFileSync(gpioLog, "utf8")
        .split("\n")
        .filter((line) => line === `gpiochip0 ${WRITE_PIN}=1`);
      expect(writes).toHaveLength(1);
      const seen = (await (await fetch(`${ollama.url}/__requests?model=llama3.2`)).json()) as unknown;
      expect((seen as { body: { messages: { content: string }[] } }[]).map((r) => r.body.messages[0]?.content)).toEqual(
        expect.arrayContaining([`${device}: through the pi`, `${device}: the pi is back`]),
      );
      expect(JSON.stringify(seen)).not.toContain(`${device}: while the pi is down`);
    } finally {
      agent.proc.kill("SIGKILL");
      await agent.exited;
    }
  });
});
