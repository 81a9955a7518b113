// The event-bus part of `npm run bench`, used by run.mjs: which bus scenarios run and with what, the set-up
// they need (the bench principal's publish rate limit raised; workerd idle before each one), the durable
// path's account (every accepted event in D1 history once the queue consumer has caught up, and how fast
// it caught up), the checks that fail the run (an accepted event lost or delivered twice, a batch that
// rejected events), and the rows and lines the report prints for them. The load itself is test/bench/load-publish.mjs.
import { readFileSync } from "node:fs";

const BATCH = 100;
const TARGET_BATCH_EVENTS_PER_S = 2000;
const TARGET_P95_MS = 100;
const AIM_P95_MS = 20;

/** Scenario names, in run order, each with its load.mjs config (merged over the common one). */
export function busPlan(origin, token, { latencyRate, latencyMs, publishMs, partitions = [] }) {
  const headers = { authorization: `Bearer ${token}` };
  const latency = {
    kind: "publish-latency",
    connections: 8,
    headers,
    ratePerS: latencyRate,
    durationMs: latencyMs,
    bus: true,
  };
  const single8 = { kind: "publish", batch: 1, connections: 8, headers, durationMs: publishMs, bus: true };
  // EVENT_BUS_PARTITIONS side by side (issue 7, Scale): the same two scenarios with workerd restarted on the
  // binding override (run.mjs). Last in the plan, because the restart moves botplane to a new port.
  const byPartitions = partitions.flatMap((n) => [
    [`publish-latency/p${n}`, origin, { ...latency, partitions: n }],
    [`publish-single@8/p${n}`, origin, { ...single8, partitions: n }],
  ]);
  return [
    // The floor for the @8 rows; healthz@50 (run.mjs) is the floor for the @50 ones.
    ["healthz@8", origin, { path: "/healthz", connections: 8 }],
    // Latency first: the throughput scenarios leave a queue backlog that would sit in its way.
    [
      "publish-latency",
      origin,
      { kind: "publish-latency", connections: 8, headers, ratePerS: latencyRate, durationMs: latencyMs, bus: true },
    ],
    // Shorter than the other scenarios: a batch run leaves a backlog of ~50k events the consumer must drain.
    [
      "publish-single@8",
      origin,
      { kind: "publish", batch: 1, connections: 8, headers, durationMs: publishMs, bus: true },
    ],
    [
      "publish-single@50",
      origin,
      { kind: "publish", batch: 1, connections: 50, headers, durationMs: publishMs, bus: true },
    ],
    [
      "publish-batch@8",
      origin,
      { kind: "publish", batch: BATCH, connections: 8, headers, durationMs: publishMs, bus: true },
    ],
    [
      "publish-batch@50",
      origin,
      { kind: "publish", batch: BATCH, connections: 50, headers, durationMs: publishMs, bus: true },
    ],
    ...byPartitions,
  ];
}

/**
 * Lifts the publish limit for every principal (`publish:*`): the seed's default (burst 10/s, 100/hour)
 * would make this a 429 test. Returns when the change is in force everywhere (the limits' cache bound).
 */
export async function raisePublishLimits(origin, token) {
  const body = {
    limits: [{ key: "publish:*", capacity: 1_000_000, refill_rate: "1000000/second", burst_capacity: 100_000 }],
  };
  const res = await fetch(`${origin}/api/v1/config/rate_limits`, {
    method: "PUT",
    headers: { authorization: `Bearer ${token}`, "content-type": "application/json" },
    body: JSON.stringify(body),
  });
  const text = await res.text();
  let parsed = null;
  try {
    parsed = JSON.parse(text);
  } catch {}
  const stored = parsed?.limits?.find?.((l) => l.key === "publish:*");
  if (res.status !== 200 || stored?.capacity !== 1_000_000) {
    throw new Error(`PUT /api/v1/config/rate_limits: HTTP ${res.status} ${text.slice(0, 300)}`);
  }
  return { limit: stored, inForceAt: Date.now() + (Number(parsed.propagation_ms) || 2000) };
}

function cpuTicks(pids) {
  let total = 0;
  for (const pid of pids) {
    const raw = readFileSync(`/proc/${pid}/stat`, "utf8");
    const f = raw.slice(raw.lastIndexOf(")") + 2).split(" ");
    total += Number(f[11]) + Number(f[12]);
  }
  return total;
}

/**
 * Waits until workerd uses under 5% of a core over half a second (the queue consumer has caught up), or
 * `maxMs`. Returns the seconds waited and whether it went quiet; null when /proc is not readable.
 */
export async function waitForQuiet(pids, maxMs) {
  if (pids.length === 0) return null;
  const started = Date.now();
  try {
    let before = cpuTicks(pids);
    while (Date.now() - started < maxMs) {
      await new Promise((r) => setTimeout(r, 500));
      const now = cpuTicks(pids);
      // Ticks are 1/100 s: under 3 ticks in 0.5 s is under 6% of a core.
      if (now - before < 3) return { waited_s: (Date.now() - started) / 1000, quiet: true };
      before = now;
    }
  } catch {
    return null;
  }
  return { waited_s: (Date.now() - started) / 1000, quiet: false };
}

/**
 * The durable path after the throughput scenarios: polls D1 history (read directly, so the check costs
 * the Worker nothing) until it holds every `bench.load.v1` event the Worker accepted, or `maxMs`. The rows
 * added meanwhile, over the time taken, are the queue consumer's drain rate with nothing else running.
 */
export async function drainCheck(mf, scenarios, maxMs) {
  const runs = Object.values(scenarios).filter((s) => s?.kind === "publish");
  if (runs.length === 0) return null;
  const expected = runs.reduce((n, s) => n + s.accepted_total, 0);
  const db = await mf.getD1Database("DB", "botplane");
  const count = async () =>
    (await db.prepare("SELECT COUNT(*) AS n FROM events WHERE subject = 'bench.load.v1'").first()).n;
  const started = Date.now();
  const first = await count();
  let stored = first;
  while (stored < expected && Date.now() - started < maxMs) {
    await new Promise((r) => setTimeout(r, 500));
    stored = await count();
  }
  const seconds = (Date.now() - started) / 1000;
  const deadLetters = (
    await db.prepare("SELECT COUNT(*) AS n FROM dead_letters WHERE subject = 'bench.load.v1'").first()
  ).n;
  return {
    expected,
    stored,
    backlog_at_end: expected - first,
    drain_seconds: Math.round(seconds * 10) / 10,
    drain_events_per_s: seconds > 0.5 && stored > first ? Math.round((stored - first) / seconds) : null,
    dead_letters: deadLetters,
  };
}

/** What makes the run fail, beyond unexpected HTTP statuses (run.mjs checks those for every scenario). */
export function busFailures(scenarios, drain) {
  const failures = [];
  if (drain && drain.stored < drain.expected) {
    failures.push(
      `history holds ${drain.stored} of ${drain.expected} accepted bench.load.v1 events after ${drain.drain_seconds} s (${drain.dead_letters} dead-lettered)`,
    );
  }
  for (const [name, s] of Object.entries(scenarios)) {
    if (!s || s.error) continue;
    if (s.kind === "publish") {
      if (s.rejected_total > 0)
        failures.push(
          `${name}: ${s.rejected_total} event(s) rejected in batches ${JSON.stringify(s.rejection_samples)}`,
        );
      if (s.malformed_responses > 0)
        failures.push(`${name}: ${s.malformed_responses} batch answer(s) without a matching accepted/rejected count`);
      if (!(s.events_per_s > 0)) failures.push(`${name}: no event accepted`);
    }
    if (s.kind === "publish-latency") {
      if (s.lost > 0) failures.push(`${name}: ${s.lost} accepted event(s) never reached the subscriber`);
      if (s.duplicated > 0 || s.duplicate_seqs > 0)
        failures.push(`${name}: ${s.duplicated} event(s) delivered more than once (${s.duplicate_seqs} repeated seq)`);
      if (s.unexpected > 0) failures.push(`${name}: ${s.unexpected} event(s) delivered whose publish was not accepted`);
      if (s.accepted === 0) failures.push(`${name}: no event accepted`);
      if (s.history?.duplicates > 0) failures.push(`${name}: ${s.history.duplicates} event(s) stored twice in history`);
      else if (s.history && s.history.stored < s.accepted)
        failures.push(
          `${name}: history holds ${s.history.stored} of ${s.accepted} accepted events after ${s.history.waited_s} s`,
        );
      if (s.history?.error) failures.push(`${name}: history check failed: ${s.history.error}`);
      if (s.socket_closed_early)
        failures.push(`${name}: subscriber socket closed early ${JSON.stringify(s.socket_closed_early)}`);
    }
  }
  return failures;
}

/** Adds the bus rows to run.mjs's table through its `row(label, scenario, rateKey, base, baseLabel)`. */
export function busRows(row, r) {
  const latency = r["publish-latency"];
  // The latency row's baseline is the publish request itself (POST → 202), measured in the same scenario.
  const publishBase =
    latency && !latency.error ? { rps: latency.rate_per_s, latency_ms: latency.publish_latency_ms } : null;
  row("healthz @8", r["healthz@8"], "rps");
  row("publish single @8 (ev/s)", r["publish-single@8"], "rps", r["healthz@8"], "healthz @8");
  row("publish single @50 (ev/s)", r["publish-single@50"], "rps", r["healthz@50"], "healthz @50");
  row("publish batch100 @8 (ev/s)", r["publish-batch@8"], "events_per_s", r["publish-single@8"], "publish single @8");
  row(
    "publish batch100 @50 (ev/s)",
    r["publish-batch@50"],
    "events_per_s",
    r["publish-single@50"],
    "publish single @50",
  );
  row(`publish→subscriber (ev/s)`, latency, "rps", publishBase, "its publish POST→202");
  // Partition counts side by side, each against the first count measured.
  const counts = Object.keys(r)
    .map((n) => /^publish-single@8\/p(\d+)$/.exec(n)?.[1])
    .filter(Boolean)
    .map(Number)
    .sort((a, b) => a - b);
  if (counts.length === 0) return;
  const first = counts[0];
  const latencyVs = (s, base) =>
    `p50 ${signedDiff(s.latency_ms.p50, base.latency_ms.p50)}, p99 ${signedDiff(s.latency_ms.p99, base.latency_ms.p99)} ms`;
  const rateVs = (s, base) =>
    `${fmt((s.rps / base.rps) * 100)}%, p99 ${signedDiff(s.latency_ms.p99, base.latency_ms.p99)} ms`;
  for (const n of counts) {
    const base = n === first ? undefined : r[`publish-latency/p${first}`];
    const label = base ? `${first} partition(s)` : undefined;
    row(`publish→subscriber, ${n} partition(s)`, r[`publish-latency/p${n}`], "rps", base, label, latencyVs);
  }
  for (const n of counts) {
    const base = n === first ? undefined : r[`publish-single@8/p${first}`];
    const label = base ? `${first} partition(s)` : undefined;
    row(`publish single @8, ${n} partition(s)`, r[`publish-single@8/p${n}`], "rps", base, label, rateVs);
  }
}

function signedDiff(a, b) {
  if (a == null || b == null) return "-";
  const d = a - b;
  return `${d >= 0 ? "+" : ""}${d.toFixed(2)}`;
}

function fmt(x, d = 0) {
  return x == null || Number.isNaN(x) ? "-" : Number(x).toFixed(d);
}

const verdict = (ok) => (ok ? "met" : "NOT met");

/** Lines under the table: targets, the single-event ratio to the floor, delivery accounting. */
export function busSummary(r, drain) {
  const out = [];
  const batches = ["publish-batch@8", "publish-batch@50"].map((n) => [n, r[n]]).filter(([, s]) => s && !s.error);
  if (batches.length) {
    const best = Math.max(...batches.map(([, s]) => s.events_per_s));
    out.push(
      `publish batches of ${BATCH}: ${batches.map(([n, s]) => `${n.split("@")[1]} conns ${fmt(s.events_per_s)} events/s (${fmt(s.server_cpu_us_per_event)} srv µs/event)`).join(", ")} ` +
        `(target >= ${TARGET_BATCH_EVENTS_PER_S}: ${verdict(best >= TARGET_BATCH_EVENTS_PER_S)})`,
    );
  }
  if (drain) {
    out.push(
      `durable path: history holds ${drain.stored} of ${drain.expected} accepted bench.load.v1 events; the backlog left by the last publish ` +
        `scenario (${drain.backlog_at_end}) drained in ${fmt(drain.drain_seconds, 1)} s` +
        (drain.drain_events_per_s == null
          ? ""
          : ` (${drain.drain_events_per_s} events/s through the queue consumer alone)`) +
        `; ${drain.dead_letters} dead-lettered`,
    );
  }
  const singles = [
    ["publish-single@8", "healthz@8"],
    ["publish-single@50", "healthz@50"],
  ]
    .filter(([n, f]) => r[n] && !r[n].error && r[f] && !r[f].error)
    .map(
      ([n, f]) =>
        `${n.split("@")[1]} conns ${fmt((r[n].rps / r[f].rps) * 100)}% of healthz (${fmt(r[n].rps)} vs ${fmt(r[f].rps)} req/s)`,
    );
  if (singles.length)
    out.push(
      `single-event publish vs /healthz floor: ${singles.join(", ")}; ` +
        `each publish pays auth, a RateLimiter DO round trip, the queue send and the EventStream append, and its consumer work (history insert, ` +
        `stream re-append) runs in the same workerd`,
    );
  const parts = Object.keys(r)
    .map((n) => /^publish-latency\/p(\d+)$/.exec(n)?.[1])
    .filter(Boolean)
    .sort((a, b) => a - b);
  if (parts.length)
    out.push(
      `EVENT_BUS_PARTITIONS side by side (binding override, workerd restarted on the same storage): ` +
        parts
          .map((n) => {
            const lat = r[`publish-latency/p${n}`];
            const one = r[`publish-single@8/p${n}`];
            const l = lat && !lat.error ? lat.latency_ms : null;
            return (
              `${n}: publish→subscriber p50 ${fmt(l?.p50, 2)} / p95 ${fmt(l?.p95, 2)} / p99 ${fmt(l?.p99, 2)} ms, ` +
              `single publish @8 ${one && !one.error ? fmt(one.rps) : "-"} ev/s`
            );
          })
          .join("; "),
    );
  const l = r["publish-latency"];
  if (l?.error) out.push(`publish→subscriber latency FAILED: ${l.error}`);
  else if (l) {
    const p95 = l.latency_ms.p95;
    out.push(
      `publish→subscriber over WebSocket at ${l.rate_per_s}/s open loop: p50 ${fmt(l.latency_ms.p50, 2)} / p95 ${fmt(p95, 2)} / p99 ${fmt(l.latency_ms.p99, 2)} ms ` +
        `(max ${fmt(l.latency_ms.max, 1)}) over ${l.measured_events} events; target p95 < ${TARGET_P95_MS} ms: ${verdict(p95 != null && p95 < TARGET_P95_MS)}, ` +
        `aim < ${AIM_P95_MS} ms: ${verdict(p95 != null && p95 < AIM_P95_MS)}; publish POST→202 p50 ${fmt(l.publish_latency_ms.p50, 2)} / p95 ${fmt(l.publish_latency_ms.p95, 2)} ms`,
    );
    out.push(
      `delivery: ${l.sent} sent, ${l.accepted} accepted, ${l.received} received live, ${l.lost} lost, ${l.duplicated} duplicated, ` +
        `${l.out_of_order_seqs} seq out of order; history has ${l.history?.stored ?? "?"}/${l.accepted} after ${fmt(l.history?.waited_s, 1)} s ` +
        `(${l.history?.duplicates ?? "?"} stored twice); publisher lag max ${fmt(l.publisher_max_lag_ms, 1)} ms`,
    );
  }
  return out;
}
