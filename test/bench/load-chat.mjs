// Load generator for the chat scenarios of `npm run bench` (spawned by test/bench/chat-bench.mjs as its own
// process, so the load never shares an event loop with workerd). Input: one JSON object on stdin; output: one
// JSON object on stdout (progress on stderr).
//
// - kind "turns": closed loop, `connections` loops of "POST /chat {message}, wait for the whole reply"
//   (a new session each turn), so the figure is chat turns/s with their latency.
// - kind "ws": `connections` WebSockets on GET /ws (the browser path: the JWT in the `access_token.<jwt>`
//   subprotocol beside `botplane.chat`), each looping "send a `message`, wait for its `done`"; measured: the
//   time from the send to the first `token` frame (first token) and to the `done` frame (whole reply).
// Requests started during warm-up are not measured.
import { readFileSync } from "node:fs";
import { performance } from "node:perf_hooks";

function log(msg) {
  process.stderr.write(`[load-chat] ${msg}\n`);
}

async function readStdin() {
  const chunks = [];
  for await (const c of process.stdin) chunks.push(c);
  return JSON.parse(Buffer.concat(chunks).toString("utf8"));
}

// CPU accounting from /proc, as load.mjs does it (Linux; null elsewhere): workerd's CPU per measured request
// and the CPU other processes on this shared machine took meanwhile. Jiffies are 1/100 s.
function procCpu(pid) {
  const raw = readFileSync(`/proc/${pid}/stat`, "utf8");
  const f = raw.slice(raw.lastIndexOf(")") + 2).split(" ");
  return Number(f[11]) + Number(f[12]) + Number(f[13]) + Number(f[14]);
}

function cpuSample(cfg) {
  try {
    const c = readFileSync("/proc/stat", "utf8").split("\n")[0].trim().split(/\s+/).slice(1, 9).map(Number);
    const busy = c.reduce((a, b) => a + b, 0) - c[3] - c[4];
    const server = (cfg.serverPids ?? []).reduce((a, p) => a + procCpu(p), 0);
    const own = procCpu(process.pid) + (cfg.orchestratorPid ? procCpu(cfg.orchestratorPid) : 0);
    return { at: performance.now(), busy, server, own };
  } catch {
    return null;
  }
}

/** Samples at the start of the measured window and at its end; the figures load.mjs reports. */
function cpuWindow(cfg) {
  let first = null;
  const timer = setTimeout(() => (first = cpuSample(cfg)), cfg.warmupMs);
  return (requests) => {
    clearTimeout(timer);
    const last = cpuSample(cfg);
    if (!first || !last) return { server_cpu_cores: null, server_cpu_us_per_req: null, other_processes_cores: null };
    const seconds = (last.at - first.at) / 1000;
    const server = (last.server - first.server) / 100;
    const other = Math.max(0, (last.busy - first.busy - (last.server - first.server) - (last.own - first.own)) / 100);
    return {
      server_cpu_cores: Math.round((server / seconds) * 100) / 100,
      server_cpu_us_per_req: requests ? Math.round((server * 1e6) / requests) : null,
      other_processes_cores: Math.round((other / seconds) * 100) / 100,
    };
  };
}

function percentiles(samples) {
  const s = [...samples].sort((a, b) => a - b);
  const at = (q) => (s.length ? Math.round(s[Math.min(s.length - 1, Math.floor(q * s.length))] * 1000) / 1000 : null);
  return { p50: at(0.5), p95: at(0.95), p99: at(0.99), p999: at(0.999), max: at(1), count: s.length };
}

async function runTurns(cfg) {
  const origin = new URL(cfg.origin);
  if (origin.hostname !== "127.0.0.1") throw new Error(`refusing to load ${origin.hostname}`);
  const start = performance.now();
  const measureFrom = start + cfg.warmupMs;
  const end = measureFrom + cfg.durationMs;
  const latencies = [];
  const byStatus = {};
  const samples = [];
  const cpu = cpuWindow(cfg);
  const body = JSON.stringify({ message: "what should I focus on today" });
  await Promise.all(
    Array.from({ length: cfg.connections }, async () => {
      while (performance.now() < end) {
        const t0 = performance.now();
        const res = await fetch(`${cfg.origin}/chat`, {
          method: "POST",
          headers: { authorization: `Bearer ${cfg.token}`, "content-type": "application/json" },
          body,
        });
        const text = await res.text();
        const t1 = performance.now();
        let ok = res.status === 200;
        if (ok) {
          try {
            ok = typeof JSON.parse(text).reply === "string";
          } catch {
            ok = false;
          }
        }
        if (t0 < measureFrom) continue;
        const key = ok ? 200 : res.status === 200 ? "200_without_reply" : res.status;
        byStatus[key] = (byStatus[key] ?? 0) + 1;
        if (!ok && samples.length < 3) samples.push(text.slice(0, 300));
        latencies.push(t1 - t0);
      }
    }),
  );
  const seconds = cfg.durationMs / 1000;
  return {
    kind: "chat-turns",
    connections: cfg.connections,
    ...cpu(latencies.length),
    rps: Math.round(((byStatus[200] ?? 0) / seconds) * 10) / 10,
    latency_ms: percentiles(latencies),
    by_status: byStatus,
    network_errors: {},
    non_200_samples: samples,
  };
}

function openSocket(cfg) {
  return new Promise((resolve, reject) => {
    const url = `${cfg.origin.replace(/^http/, "ws")}/ws`;
    const ws = new WebSocket(url, ["botplane.chat", `access_token.${cfg.token}`]);
    const timer = setTimeout(() => reject(new Error("no connect frame within 10 s")), 10_000);
    ws.addEventListener("error", () => reject(new Error(`WebSocket error opening ${url}`)));
    ws.addEventListener(
      "message",
      (ev) => {
        const frame = JSON.parse(String(ev.data));
        clearTimeout(timer);
        if (frame.type !== "connect") reject(new Error(`first frame ${frame.type}, not connect`));
        else if (ws.protocol !== "botplane.chat") reject(new Error(`subprotocol echoed: '${ws.protocol}'`));
        else resolve(ws);
      },
      { once: true },
    );
  });
}

async function runSocket(ws, cfg, clock, out) {
  let pending = null;
  ws.addEventListener("message", (ev) => {
    const frame = JSON.parse(String(ev.data));
    if (frame.type !== "response" || !pending) return;
    if (frame.event === "token" && pending.first === null) pending.first = performance.now();
    if (frame.event === "done" || frame.event === "error") {
      const p = pending;
      pending = null;
      p.resolve({ ...p, done: performance.now(), event: frame.event, error: frame.error });
    }
  });
  while (performance.now() < clock.end) {
    const sent = performance.now();
    const result = await new Promise((resolve) => {
      pending = { sent, first: null, resolve };
      ws.send(JSON.stringify({ type: "message", text: "what should I focus on today" }));
    });
    if (sent < clock.measureFrom) continue;
    if (result.event !== "done" || result.first === null) {
      out.failed++;
      if (out.samples.length < 3) out.samples.push(result.error ?? "done without a token");
      continue;
    }
    out.firstToken.push(result.first - sent);
    out.whole.push(result.done - sent);
  }
  ws.close(1000, "bench done");
}

async function runWs(cfg) {
  const origin = new URL(cfg.origin);
  if (origin.hostname !== "127.0.0.1") throw new Error(`refusing to load ${origin.hostname}`);
  const sockets = await Promise.all(Array.from({ length: cfg.connections }, () => openSocket(cfg)));
  const start = performance.now();
  const clock = { measureFrom: start + cfg.warmupMs, end: start + cfg.warmupMs + cfg.durationMs };
  const cpu = cpuWindow(cfg);
  const out = { firstToken: [], whole: [], failed: 0, samples: [] };
  await Promise.all(sockets.map((ws) => runSocket(ws, cfg, clock, out)));
  const seconds = cfg.durationMs / 1000;
  return {
    kind: "chat-ws",
    connections: cfg.connections,
    ...cpu(out.whole.length + out.failed),
    rps: Math.round((out.whole.length / seconds) * 10) / 10,
    latency_ms: percentiles(out.firstToken),
    first_token_ms: percentiles(out.firstToken),
    whole_reply_ms: percentiles(out.whole),
    by_status: out.failed ? { 200: out.whole.length, failed: out.failed } : { 200: out.whole.length },
    network_errors: {},
    non_200_samples: out.samples,
  };
}

readStdin()
  .then((cfg) => (cfg.kind === "ws" ? runWs(cfg) : runTurns(cfg)))
  .then((result) => {
    process.stdout.write(JSON.stringify(result) + "\n");
    process.exit(0);
  })
  .catch((err) => {
    log(`failed: ${err?.stack ?? err}`);
    process.exit(1);
  });
