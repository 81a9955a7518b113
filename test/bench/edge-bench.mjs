// The edge part of `npm run bench`, used by run.mjs (issue 10): it builds the edge-agent, serves the fake
// Ollama (test/fakes/fake-ollama.ts) from the orchestrator's process, starts two real agent processes against
// botplane — one over the WebSocket, one with EDGE_TRANSPORT=poll — and points a gateway function at the
// WebSocket device. The load itself is load-gateway.mjs's interleaved runner in the second process.
//
// Scenarios, each a set of targets interleaved in slices at one connection (so each sees the same machine):
// - edge-commands@1: a command round trip (`POST …/commands?wait=5s` with `gpio.read`: enqueue → device runs
//   it → result) over the WebSocket and over long-poll, beside reading one command back (`GET …/commands/{id}`:
//   the same auth and hub RPC with no device in the loop) as the floor.
// - edge-inference@1: `POST /inference` of a local-tier function through the Pi path, beside the same chat
//   sent to the fake Ollama directly (streamed, as the agent sends it): the difference is botplane's overhead.
import { execFile, spawn } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { startFakeOllama } from "../fakes/fake-ollama.ts";

const ROOT = join(import.meta.dirname, "..", "..");
const AGENT = join(ROOT, "edge-agent", "dist", "main.js");
const EDGE_FUNCTION = "bench_edge";
const MODEL = "llama3.2";
const DEVICES = { websocket: "bench-pi-ws", poll: "bench-pi-poll" };
export const EDGE_SCENARIOS = ["edge-commands@1", "edge-inference@1"];
const TARGET_WS_P95_MS = 50;
const TARGET_INFERENCE_OVERHEAD_P50_MS = 5;
const SLICE_MS = 1000;
const ONLINE_TIMEOUT_MS = 30_000;
const run = promisify(execFile);

const CHAT = { messages: [{ role: "user", content: "hi there" }] };

/** The edge's part of the gateway config: a provider on the WebSocket device and a local-tier function. */
export const EDGE_GATEWAY_TOML = `
[providers.pi]
type = "ollama"
url = "edge:${DEVICES.websocket}"

[models.pi]
provider = "pi"
model = "${MODEL}"

[functions.${EDGE_FUNCTION}]
type = "chat"

[functions.${EDGE_FUNCTION}.variants.local]
model = "models.pi"
`;

async function call(origin, token, method, path, body) {
  const res = await fetch(`${origin}${path}`, {
    method,
    headers: { authorization: `Bearer ${token}`, "content-type": body === undefined ? "application/json" : body.type },
    ...(body === undefined ? {} : { body: body.text }),
  });
  const text = await res.text();
  let json = null;
  try {
    json = JSON.parse(text);
  } catch {}
  return { status: res.status, text, json };
}

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

/**
 * Builds and starts everything the edge scenarios need; `mint(scopes, sub)` signs a bench JWT. Resolves to
 * `{ targets, close }`, where `targets` are the request specs edgePlan() takes, or throws naming what failed.
 */
export async function setUpEdge(origin, mint, log) {
  await run("npm", ["run", "build", "--workspace", "edge-agent"], { cwd: ROOT });
  const ollama = await startFakeOllama();
  const stateDir = mkdtempSync(join(tmpdir(), "botplane-bench-edge-"));
  const admin = await mint(["admin"], "bench");
  const operator = await mint(["edge:read", "edge:command"], "bench-operator");
  const agents = [];
  const close = async () => {
    for (const a of agents) a.kill("SIGTERM");
    await Promise.all(agents.map((a) => new Promise((r) => (a.exitCode !== null ? r() : a.once("exit", r)))));
    await ollama.close();
    rmSync(stateDir, { recursive: true, force: true });
  };
  try {
    const put = await call(origin, admin, "PUT", "/api/v1/models/config", {
      type: "text/plain",
      text: EDGE_GATEWAY_TOML,
    });
    if (put.status !== 200) throw new Error(`PUT /api/v1/models/config: HTTP ${put.status} ${put.text.slice(0, 300)}`);
    for (const [transport, device] of Object.entries(DEVICES)) {
      const agent = spawn(process.execPath, [AGENT], {
        stdio: ["ignore", "ignore", "inherit"],
        env: {
          ...process.env,
          BOTPLANE_URL: origin,
          EDGE_DEVICE_ID: device,
          EDGE_DEVICE_TOKEN: await mint(["edge:device"], device),
          EDGE_TRANSPORT: transport,
          OLLAMA_URL: ollama.url,
          ENABLE_GPIO_INTEGRATION: "true",
          GPIO_BACKEND: "memory",
          EDGE_STATE_DIR: join(stateDir, device),
          TELEMETRY_INTERVAL_SECONDS: "60",
        },
      });
      agents.push(agent);
    }
    const commandIds = {};
    for (const device of Object.values(DEVICES)) {
      const deadline = Date.now() + ONLINE_TIMEOUT_MS;
      for (;;) {
        const probe = await call(origin, operator, "POST", `/api/v1/edge/devices/${device}/commands?wait=2s`, {
          type: "application/json",
          text: JSON.stringify({ name: "gpio.read", args: { pin: 18 } }),
        });
        if (probe.status === 200 && probe.json?.status === "succeeded") {
          commandIds[device] = probe.json.id;
          break;
        }
        if (Date.now() > deadline)
          throw new Error(`${device} never answered a command: HTTP ${probe.status} ${probe.text.slice(0, 300)}`);
        await sleep(200);
      }
      log(`edge device ${device} connected and answering commands`);
    }
    const probe = await call(origin, admin, "POST", "/inference", {
      type: "application/json",
      text: JSON.stringify({ function_name: EDGE_FUNCTION, input: CHAT }),
    });
    if (probe.status !== 200 || !Array.isArray(probe.json?.content))
      throw new Error(`probe POST /inference through the Pi: HTTP ${probe.status} ${probe.text.slice(0, 300)}`);
    const auth = { authorization: `Bearer ${operator}` };
    const command = JSON.stringify({ name: "gpio.read", args: { pin: 18 } });
    const targets = {
      commandFloor: {
        origin,
        method: "GET",
        path: `/api/v1/edge/devices/${DEVICES.websocket}/commands/${commandIds[DEVICES.websocket]}`,
        headers: auth,
        check: "command",
      },
      commandWs: {
        origin,
        path: `/api/v1/edge/devices/${DEVICES.websocket}/commands?wait=5s`,
        body: command,
        headers: auth,
        check: "command",
      },
      commandPoll: {
        origin,
        path: `/api/v1/edge/devices/${DEVICES.poll}/commands?wait=5s`,
        body: command,
        headers: auth,
        check: "command",
      },
      ollamaDirect: {
        origin: ollama.url,
        path: "/api/chat",
        body: JSON.stringify({ model: MODEL, stream: true, ...CHAT }),
        check: "ollama",
      },
      inferenceEdge: {
        origin,
        path: "/inference",
        body: JSON.stringify({ function_name: EDGE_FUNCTION, input: CHAT }),
        headers: { authorization: `Bearer ${admin}` },
        check: "content",
      },
    };
    return { targets, close };
  } catch (err) {
    await close();
    throw err;
  }
}

/** The two interleaved scenarios, for run.mjs's plan (origin: botplane). */
export function edgePlan(origin, targets, durationMs) {
  const pair = (name, list) => [
    name,
    origin,
    { kind: "chat-pair", connections: 1, durationMs, sliceMs: SLICE_MS, quiet: true, edge: true, targets: list },
  ];
  return [
    pair("edge-commands@1", [
      { label: "edge-command-floor@1", ...targets.commandFloor },
      { label: "edge-command-ws@1", ...targets.commandWs },
      { label: "edge-command-poll@1", ...targets.commandPoll },
    ]),
    pair("edge-inference@1", [
      { label: "edge-ollama-direct@1", ...targets.ollamaDirect },
      { label: "edge-inference@1", ...targets.inferenceEdge },
    ]),
  ];
}

/** Headline figures: round trips and the inference overhead, each against its same-run baseline. */
export function edgeFigures(scenarios) {
  const lat = (name) => scenarios[name]?.latency_ms ?? null;
  const floor = lat("edge-command-floor@1");
  const ws = lat("edge-command-ws@1");
  const poll = lat("edge-command-poll@1");
  const direct = lat("edge-ollama-direct@1");
  const edge = lat("edge-inference@1");
  const minus = (a, b) => (a != null && b != null ? Math.round((a - b) * 1000) / 1000 : null);
  return {
    command_round_trip_ms: {
      websocket: ws && { p50: ws.p50, p95: ws.p95 },
      poll: poll && { p50: poll.p50, p95: poll.p95 },
      floor_read_command: floor && { p50: floor.p50, p95: floor.p95 },
      target_ws_p95_ms: TARGET_WS_P95_MS,
    },
    local_inference_ms: {
      ollama_direct: direct && { p50: direct.p50, p95: direct.p95 },
      through_botplane: edge && { p50: edge.p50, p95: edge.p95 },
      overhead_p50: minus(edge?.p50, direct?.p50),
      overhead_p95: minus(edge?.p95, direct?.p95),
      target_overhead_p50_ms: TARGET_INFERENCE_OVERHEAD_P50_MS,
    },
  };
}

/** Table rows (run.mjs's `row`): each target beside its same-run baseline, compared by p50 and p99. */
export function edgeRows(row, r) {
  const fmt = (x) => (x == null ? "-" : (Math.round(x * 100) / 100).toFixed(2));
  const vs = (s, base) =>
    `p50 +${fmt(s.latency_ms.p50 - base.latency_ms.p50)}, p99 +${fmt(s.latency_ms.p99 - base.latency_ms.p99)} ms`;
  const floor = r["edge-command-floor@1"];
  row("edge: read a command @1 (floor)", floor, "rps");
  row("edge: command round trip, WebSocket @1", r["edge-command-ws@1"], "rps", floor, "read a command @1", vs);
  row("edge: command round trip, long-poll @1", r["edge-command-poll@1"], "rps", floor, "read a command @1", vs);
  const direct = r["edge-ollama-direct@1"];
  row("edge: fake Ollama direct @1", direct, "rps");
  row("edge: /inference via the Pi @1", r["edge-inference@1"], "rps", direct, "Ollama direct @1", vs);
}

/** Lines under the table, each figure beside its baseline and target. */
export function edgeSummary(figures) {
  const c = figures.command_round_trip_ms;
  const i = figures.local_inference_ms;
  const out = [];
  if (c.websocket && c.floor_read_command)
    out.push(
      `edge command round trip over WebSocket: p50 ${c.websocket.p50} / p95 ${c.websocket.p95} ms ` +
        `(target p95 < ${c.target_ws_p95_ms}); long-poll p50 ${c.poll?.p50} / p95 ${c.poll?.p95} ms; ` +
        `floor (read a command back, no device) p50 ${c.floor_read_command.p50} / p95 ${c.floor_read_command.p95} ms`,
    );
  if (i.ollama_direct && i.through_botplane)
    out.push(
      `local-tier inference through the Pi path: p50 ${i.through_botplane.p50} ms vs fake Ollama direct ` +
        `${i.ollama_direct.p50} ms → overhead p50 ${i.overhead_p50} ms, p95 ${i.overhead_p95} ms ` +
        `(target p50 < ${i.target_overhead_p50_ms})`,
    );
  return out;
}
