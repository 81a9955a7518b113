// The model-gateway scenarios of the load generator (test/bench/load.mjs runs them in its own process). It
// owns: non-streaming chat requests against botplane's `POST /inference`, the pass-through Worker or the
// fake upstream directly — closed loop for maximum throughput, open loop at a fixed rate for latency — and
// the answer check (every 200 must carry the completion: `content` from botplane, `choices` otherwise).
//
// Open loop: request i is due at t0 + i/rate whatever the answers, round-robin over `connections` keep-alive
// sockets (enough that a socket is idle when its turn comes). Latency runs from the moment the request is
// handed to the client to its complete body, so a queue inside the client counts; how late the generator
// itself was against the schedule is reported beside it (`schedule_lag_ms`), so a late generator shows.
import { performance } from "node:perf_hooks";

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

/** True when a 200's body is the completion this target should answer with. */
function answered(kit, check, text) {
  const b = kit.parseJson(text);
  if (check === "content") return Array.isArray(b?.content) && typeof b.content[0]?.text === "string";
  return typeof b?.choices?.[0]?.message?.content === "string";
}

function requestOf(cfg) {
  return {
    method: "POST",
    path: cfg.path,
    headers: { ...(cfg.headers ?? {}), "content-type": "application/json" },
    body: cfg.body,
    wantBody: true,
  };
}

/** Keeps the first few wrong answers (per status), to report what the server said. */
function badAnswers() {
  const samples = {};
  let count = 0;
  return {
    samples,
    get count() {
      return count;
    },
    add(status, text) {
      count++;
      const list = (samples[status] ??= []);
      if (list.length < 3) list.push(String(text ?? "").slice(0, 300));
    },
  };
}

export async function runChatClosed(cfg, client, kit) {
  const req = requestOf(cfg);
  const bad = badAnswers();
  const onResponse = (_conn, _req, res) => {
    if (res.status !== 200) bad.add(res.status, res.text);
    else if (!answered(kit, cfg.check, res.text)) bad.add("200-without-completion", res.text);
  };
  const stats = await kit.closedLoop(client, cfg, () => req, onResponse);
  return { ...stats, kind: "chat", loop: "closed", bad_answers: bad.count, non_200_samples: bad.samples };
}

export async function runChatOpen(cfg, client, kit) {
  const rate = cfg.ratePerS ?? 200;
  const intervalMs = 1000 / rate;
  const total = Math.min(cfg.maxRequests, Math.round(((cfg.warmupMs + cfg.durationMs) / 1000) * rate));
  const warmupCount = Math.round((cfg.warmupMs / 1000) * rate);
  const req = requestOf(cfg);
  const bad = badAnswers();
  const lat = [];
  const lag = [];
  const byStatus = {};
  const netErrors = {};
  let cpuA = null;
  let ownA = null;
  const sendOne = async (i, conn) => {
    const start = performance.now();
    const measured = i >= warmupCount;
    try {
      const res = await client.send(conn, req);
      const ms = performance.now() - start;
      if (res.status !== 200) bad.add(res.status, res.text);
      else if (!answered(kit, cfg.check, res.text)) bad.add("200-without-completion", res.text);
      if (!measured) return;
      byStatus[res.status] = (byStatus[res.status] ?? 0) + 1;
      lat.push(ms);
    } catch (err) {
      const code = err?.code ?? err?.name ?? "error";
      if (measured) netErrors[code] = (netErrors[code] ?? 0) + 1;
    }
  };
  const inflight = [];
  const t0 = performance.now();
  for (let i = 0; i < total; i++) {
    const due = t0 + i * intervalMs;
    const wait = due - performance.now();
    if (wait >= 1) await sleep(wait);
    if (i === warmupCount) {
      cpuA = kit.cpuSample(cfg.serverPids ?? [], cfg.orchestratorPid);
      ownA = process.cpuUsage();
    }
    if (i >= warmupCount) lag.push(Math.max(0, performance.now() - due));
    inflight.push(sendOne(i, i % cfg.connections));
  }
  await Promise.all(inflight);
  const cpuB = kit.cpuSample(cfg.serverPids ?? [], cfg.orchestratorPid);
  const own = ownA ? process.cpuUsage(ownA) : null;
  const seconds = cpuA && cpuB ? (cpuB.at - cpuA.at) / 1000 : cfg.durationMs / 1000;
  lat.sort((a, b) => a - b);
  lag.sort((a, b) => a - b);
  const count = lat.length;
  return {
    kind: "chat",
    loop: "open",
    connections: cfg.connections,
    rate_per_s: rate,
    warmup_ms: cfg.warmupMs,
    duration_ms: cfg.durationMs,
    sent: total,
    count,
    seconds: kit.round(seconds),
    rps: kit.round(count / Math.max(1e-9, seconds), 1),
    by_status: byStatus,
    network_errors: netErrors,
    bad_answers: bad.count,
    non_200_samples: bad.samples,
    latency_ms: {
      p50: kit.percentile(lat, 50),
      p90: kit.percentile(lat, 90),
      p99: kit.percentile(lat, 99),
      p999: kit.percentile(lat, 99.9),
      max: count ? kit.round(lat[count - 1]) : null,
      mean: count ? kit.round(lat.reduce((a, b) => a + b, 0) / count) : null,
    },
    schedule_lag_ms: {
      p50: kit.percentile(lag, 50),
      p99: kit.percentile(lag, 99),
      max: lag.length ? kit.round(lag[lag.length - 1]) : null,
    },
    generator_cpu_pct:
      own && cpuA && cpuB ? kit.round(((own.user + own.system) / 1000 / (cpuB.at - cpuA.at)) * 100, 1) : null,
    ...kit.cpuFigures(cpuA, cpuB, count),
  };
}
