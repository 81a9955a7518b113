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

/**
 * True when a 200's body is the answer this target should give: botplane's `content`, OpenAI's `choices`, an
 * edge command that ran (`command`), an Ollama NDJSON stream that reached its `done` object (`ollama`), a
 * decision that is not a fallback (`decision`), a GraphQL answer with data and no errors (`graphql`),
 * /healthz's `ok` (`healthz`), or any 200 at all (`any`).
 */
function answered(kit, check, text) {
  if (check === "ollama") return kit.parseJson(text.trimEnd().split("\n").pop())?.done === true;
  if (check === "any") return true;
  const b = kit.parseJson(text);
  // A decision service answer (or a decision backend's): an action, and through botplane not a fallback.
  if (check === "decision") return typeof b?.selected_action === "string" && !b?.fallback;
  if (check === "healthz") return b?.status === "ok";
  if (check === "graphql") return b?.data != null && b.errors === undefined;
  if (check === "content") return Array.isArray(b?.content) && typeof b.content[0]?.text === "string";
  if (check === "command") return b?.status === "succeeded";
  return typeof b?.choices?.[0]?.message?.content === "string";
}

function requestOf(cfg) {
  const method = cfg.method ?? "POST";
  return {
    method,
    path: cfg.path,
    headers: { ...(cfg.headers ?? {}), ...(method === "GET" ? {} : { "content-type": "application/json" }) },
    body: method === "GET" ? undefined : cfg.body,
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

/**
 * Tail latency of several targets under the same conditions (issue 7): closed loop at `connections`,
 * alternating between the targets in slices of `sliceMs` (order reversed every round, so drift over the run
 * falls on each alike) rather than one scenario after another, because on this shared machine another
 * process can take a core for seconds. Between slices the loops drain, so no request of one target overlaps
 * the next target's slice. workerd's CPU is sampled at every slice edge and charged to that slice's target.
 */
export async function runChatInterleaved(cfg, kit) {
  const targets = cfg.targets.map((t) => ({
    ...t,
    client: kit.makeClient(cfg.client ?? "undici", kit.assertLoopback(t.origin), cfg.connections),
    req: requestOf(t),
    bad: badAnswers(),
    lat: [],
    byStatus: {},
    netErrors: {},
    ms: 0,
    cpu: { server: 0, busy: 0, own: 0 },
    slices: 0,
    issued: 0,
  }));
  const sliceMs = cfg.sliceMs ?? 1000;
  const rounds = Math.max(1, Math.round(cfg.durationMs / sliceMs));
  // Warm-up: one slice per target; then `rounds` measured slices each.
  const plan = targets.map((_, i) => ({ target: i, ms: cfg.warmupMs, measured: false }));
  for (let r = 0; r < rounds; r++) {
    const order = targets.map((_, i) => i);
    if (r % 2 === 1) order.reverse();
    for (const i of order) plan.push({ target: i, ms: sliceMs, measured: true });
  }
  let sliceIndex = 0;
  let sliceStart = performance.now();
  let sliceCpu = kit.cpuSample(cfg.serverPids ?? [], cfg.orchestratorPid);
  let draining = false;
  let inflight = 0;
  let waiters = [];
  const ownStart = process.cpuUsage();
  const closeSlice = () => {
    const s = plan[sliceIndex];
    const t = targets[s.target];
    const now = performance.now();
    const cpu = kit.cpuSample(cfg.serverPids ?? [], cfg.orchestratorPid);
    if (s.measured) {
      t.ms += now - sliceStart;
      t.slices++;
      if (cpu && sliceCpu) {
        t.cpu.server += cpu.server - sliceCpu.server;
        t.cpu.busy += cpu.busy - sliceCpu.busy;
        t.cpu.own += cpu.own - sliceCpu.own;
      }
    }
    sliceIndex++;
    sliceStart = performance.now();
    sliceCpu = cpu;
    draining = false;
    for (const wake of waiters.splice(0)) wake();
  };
  async function loop(conn) {
    for (;;) {
      if (sliceIndex >= plan.length) return;
      if (!draining && performance.now() - sliceStart >= plan[sliceIndex].ms) draining = true;
      if (draining) {
        if (inflight === 0) closeSlice();
        else await new Promise((r) => waiters.push(r));
        continue;
      }
      const s = plan[sliceIndex];
      const t = targets[s.target];
      inflight++;
      t.issued++;
      const start = performance.now();
      try {
        const res = await t.client.send(conn, t.req);
        const ms = performance.now() - start;
        if (res.status !== 200) t.bad.add(res.status, res.text);
        else if (!answered(kit, t.check, res.text)) t.bad.add("200-without-completion", res.text);
        if (s.measured) {
          t.lat.push(ms);
          t.byStatus[res.status] = (t.byStatus[res.status] ?? 0) + 1;
        }
      } catch (err) {
        const code = err?.code ?? err?.name ?? "error";
        if (s.measured) t.netErrors[code] = (t.netErrors[code] ?? 0) + 1;
        await sleep(10);
      } finally {
        inflight--;
      }
      if (draining && inflight === 0) closeSlice();
    }
  }
  try {
    await Promise.all(Array.from({ length: cfg.connections }, (_, c) => loop(c)));
  } finally {
    await Promise.all(targets.map((t) => t.client.close()));
  }
  const own = process.cpuUsage(ownStart);
  const totalMs = targets.reduce((a, t) => a + t.ms, 0);
  const out = {};
  for (const t of targets) {
    t.lat.sort((a, b) => a - b);
    const count = t.lat.length;
    const seconds = Math.max(1e-9, t.ms / 1000);
    const server = t.cpu.server / 100;
    const other = Math.max(0, (t.cpu.busy - t.cpu.server - t.cpu.own) / 100);
    out[t.label] = {
      kind: "chat",
      loop: "closed",
      interleaved: { with: cfg.targets.map((x) => x.label), slices: t.slices, slice_ms: sliceMs },
      connections: cfg.connections,
      count,
      issued_total: t.issued,
      seconds: kit.round(seconds),
      rps: kit.round(count / seconds, 1),
      by_status: t.byStatus,
      network_errors: t.netErrors,
      bad_answers: t.bad.count,
      non_200_samples: t.bad.samples,
      latency_ms: {
        p50: kit.percentile(t.lat, 50),
        p95: kit.percentile(t.lat, 95),
        p99: kit.percentile(t.lat, 99),
        p999: kit.percentile(t.lat, 99.9),
        max: count ? kit.round(t.lat[count - 1]) : null,
        mean: count ? kit.round(t.lat.reduce((a, b) => a + b, 0) / count) : null,
      },
      // The generator's CPU is not split by target: its share of the whole run.
      generator_cpu_pct: totalMs ? kit.round(((own.user + own.system) / 1000 / totalMs) * 100, 1) : null,
      server_cpu_cores: kit.round(server / seconds, 2),
      server_cpu_us_per_req: count ? Math.round((server * 1e6) / count) : null,
      other_processes_cores: kit.round(other / seconds, 2),
    };
  }
  return { kind: "chat-pair", targets: out };
}
