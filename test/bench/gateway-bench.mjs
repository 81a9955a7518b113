// The model-gateway part of `npm run bench`, used by run.mjs (issue 4): which chat scenarios run and with
// what, the set-up they need (botplane's gateway config pointing a `bench_chat` function at the fake
// upstream, checked by one real inference), the checks that fail the run (a 200 without a completion,
// more than one upstream call per answer), and the rows and lines the report prints for them. The load
// itself is test/bench/load-gateway.mjs; the upstream is test/bench/fake-upstream.mjs.
//
// Three targets for the same non-streaming chat, in the same run: the fake upstream called directly, the
// pass-through Worker (one `fetch`, served by the same Miniflare on its own direct socket) and botplane's
// `POST /inference`. Botplane's overhead is measured against the pass-through floor, not against the
// upstream: inbound HTTP into workerd and the outbound round trip are costs any Workers gateway pays.

const FUNCTION = "bench_chat";
const TARGET_P50_MS = 1;
const TARGET_P99_MS = 5;
const TARGET_THROUGHPUT_PCT = 80;
const TAIL_CONNECTIONS = [1, 50];
const TAIL_SLICE_MS = 1000;
/** Portkey 1.15.2's p99 over the floor in issue 7's run (wrangler dev): what botplane's p99 overhead must beat. */
const PORTKEY_REFERENCE_P99_MS = { 1: 2, 50: 44 };
const CHAT_BODY = JSON.stringify({ model: "bench-model", messages: [{ role: "user", content: "hi" }] });
const INFERENCE_BODY = JSON.stringify({
  function_name: FUNCTION,
  input: { messages: [{ role: "user", content: "hi" }] },
});

/** The TOML botplane is given: one provider, one model, one function with one variant (nothing to fall back to). */
function gatewayToml(upstreamBaseUrl) {
  return `[providers.bench]
type = "openai"
url = "${upstreamBaseUrl}"
api_key = "x"

[models.bench]
provider = "bench"
model = "bench-model"

[functions.${FUNCTION}]
type = "chat"

[functions.${FUNCTION}.variants.only]
model = "models.bench"
`;
}

/**
 * Stores the bench config through `PUT /api/v1/models/config` (admin) and proves it serves: one
 * `POST /inference` with the infer-scoped token must answer 200 with `content`.
 */
export async function configureGateway(origin, adminToken, inferToken, upstreamBaseUrl, extraToml = "") {
  const put = await fetch(`${origin}/api/v1/models/config`, {
    method: "PUT",
    headers: { authorization: `Bearer ${adminToken}`, "content-type": "text/plain" },
    body: gatewayToml(upstreamBaseUrl) + extraToml,
  });
  const putText = await put.text();
  if (put.status !== 200) throw new Error(`PUT /api/v1/models/config: HTTP ${put.status} ${putText.slice(0, 300)}`);
  const res = await fetch(`${origin}/inference`, {
    method: "POST",
    headers: { authorization: `Bearer ${inferToken}`, "content-type": "application/json" },
    body: INFERENCE_BODY,
  });
  const text = await res.text();
  let body = null;
  try {
    body = JSON.parse(text);
  } catch {}
  if (res.status !== 200 || !Array.isArray(body?.content))
    throw new Error(`probe POST /inference: HTTP ${res.status} ${text.slice(0, 300)}`);
  return { function_name: FUNCTION, server_timing: res.headers.get("server-timing"), probe: body };
}

/** Portkey's per-request routing headers: provider openai at the fake upstream's base URL. */
export function portkeyHeaders(upstreamOrigin) {
  return {
    "x-portkey-provider": "openai",
    "x-portkey-custom-host": `${upstreamOrigin}/v1`,
    authorization: "Bearer x",
  };
}

/** Scenario names, in run order, each with its load.mjs config (merged over the common one). */
export function gatewayPlan(urls, upstreamOrigin, inferToken, { rate, openMs, closedMs, tailMs }) {
  const direct = {
    path: "/v1/chat/completions",
    body: CHAT_BODY,
    check: "choices",
    headers: { authorization: "Bearer x" },
  };
  const passthrough = { path: "/v1/chat/completions", body: CHAT_BODY, check: "choices" };
  // Portkey's gateway (only with BENCH_PORTKEY_DIR): OpenAI-shaped chat, the provider named in its headers.
  const portkey = {
    path: "/v1/chat/completions",
    body: CHAT_BODY,
    check: "choices",
    headers: portkeyHeaders(upstreamOrigin),
  };
  const gateway = {
    path: "/inference",
    body: INFERENCE_BODY,
    check: "content",
    headers: { authorization: `Bearer ${inferToken}` },
  };
  // Every chat scenario starts once workerd is idle: each inference's log row is written in a later batch, and
  // one scenario's leftover work must not land in the next one's figures.
  const open = {
    kind: "chat",
    loop: "open",
    connections: 16,
    ratePerS: rate,
    durationMs: openMs,
    chat: true,
    quiet: true,
  };
  const closed = (connections) => ({
    kind: "chat",
    loop: "closed",
    connections,
    durationMs: closedMs,
    chat: true,
    quiet: true,
  });
  const r = `${rate}rps`;
  return [
    // Latency first, before any closed-loop run leaves work behind.
    [`upstream-open@${r}`, upstreamOrigin, { ...open, ...direct }],
    [`passthrough-open@${r}`, urls.passthrough, { ...open, ...passthrough }],
    [`gateway-open@${r}`, urls.botplane, { ...open, ...gateway }],
    // Tail latency (issue 7): p99/p999 over the pass-through floor at 1 and 50 connections, the targets
    // interleaved in slices within one scenario so each sees the same machine (load-gateway.mjs).
    ...TAIL_CONNECTIONS.map((c) => [
      `tail@${c}`,
      urls.botplane,
      {
        kind: "chat-pair",
        connections: c,
        durationMs: tailMs,
        sliceMs: TAIL_SLICE_MS,
        chat: true,
        quiet: true,
        targets: [
          { label: `tail-passthrough@${c}`, origin: urls.passthrough, ...passthrough },
          { label: `tail-gateway@${c}`, origin: urls.botplane, ...gateway },
          ...(urls.portkey ? [{ label: `tail-portkey@${c}`, origin: urls.portkey, ...portkey }] : []),
        ],
      },
    ]),
    ["upstream-direct@50", upstreamOrigin, { ...closed(50), ...direct }],
    ["upstream-direct@200", upstreamOrigin, { ...closed(200), ...direct }],
    ["passthrough@50", urls.passthrough, { ...closed(50), ...passthrough }],
    ["gateway@50", urls.botplane, { ...closed(50), ...gateway }],
    ["passthrough@200", urls.passthrough, { ...closed(200), ...passthrough }],
    ["gateway@200", urls.botplane, { ...closed(200), ...gateway }],
  ];
}

/** What makes the run fail beyond unexpected HTTP statuses (run.mjs checks those for every scenario). */
export function gatewayFailures(scenarios) {
  const failures = [];
  for (const [name, s] of Object.entries(scenarios)) {
    if (!s || s.error || s.kind !== "chat") continue;
    if (s.bad_answers > 0)
      failures.push(`${name}: ${s.bad_answers} answer(s) without a completion ${JSON.stringify(s.non_200_samples)}`);
    if (!(s.count > 0)) failures.push(`${name}: no request answered`);
    // One upstream call per request: a retry, a fallback or a cached answer would make this something else.
    if (s.upstream_calls_per_request != null && Math.abs(s.upstream_calls_per_request - 1) > 0.01)
      failures.push(`${name}: ${s.upstream_calls_per_request} upstream calls per request (expected 1)`);
  }
  return failures;
}

const pctOf = (a, b) => (a != null && b ? (a / b) * 100 : null);
const diff = (a, b) => (a != null && b != null ? a - b : null);

/** Headline figures for latest.json and the summary: overhead over the pass-through floor, throughput ratio. */
export function gatewayFigures(r, rate) {
  const ok = (s) => (s && !s.error ? s : null);
  const [up, pt, gw] = ["upstream", "passthrough", "gateway"].map((t) => ok(r[`${t}-open@${rate}rps`]));
  const latency =
    gw && pt
      ? {
          rate_per_s: rate,
          p50_overhead_ms: round(diff(gw.latency_ms.p50, pt.latency_ms.p50)),
          p99_overhead_ms: round(diff(gw.latency_ms.p99, pt.latency_ms.p99)),
          p50_target_ms: TARGET_P50_MS,
          p99_target_ms: TARGET_P99_MS,
          passthrough_over_upstream_p50_ms: up ? round(diff(pt.latency_ms.p50, up.latency_ms.p50)) : null,
          passthrough_over_upstream_p99_ms: up ? round(diff(pt.latency_ms.p99, up.latency_ms.p99)) : null,
          srv_us_per_req: { gateway: gw.server_cpu_us_per_req, passthrough: pt.server_cpu_us_per_req },
        }
      : null;
  // Tail overhead over the floor at 1 and 50 connections (closed loop), botplane and (when run) Portkey.
  const tail = {};
  for (const c of TAIL_CONNECTIONS) {
    const p = ok(r[`tail-passthrough@${c}`]);
    if (!p) continue;
    const over = (s) =>
      s
        ? {
            p50_ms: round(diff(s.latency_ms.p50, p.latency_ms.p50)),
            p99_ms: round(diff(s.latency_ms.p99, p.latency_ms.p99)),
            p999_ms: round(diff(s.latency_ms.p999, p.latency_ms.p999)),
            rps: s.rps,
          }
        : null;
    tail[c] = {
      passthrough: { ...p.latency_ms, rps: p.rps },
      gateway_over_floor: over(ok(r[`tail-gateway@${c}`])),
      portkey_over_floor: over(ok(r[`tail-portkey@${c}`])),
      portkey_reference_p99_ms: PORTKEY_REFERENCE_P99_MS[c],
    };
  }
  const throughput = {};
  for (const c of [50, 200]) {
    const g = ok(r[`gateway@${c}`]);
    const p = ok(r[`passthrough@${c}`]);
    if (g && p)
      throughput[c] = {
        gateway_rps: g.rps,
        passthrough_rps: p.rps,
        pct_of_floor: round(pctOf(g.rps, p.rps), 1),
        srv_us_per_req: { gateway: g.server_cpu_us_per_req, passthrough: p.server_cpu_us_per_req },
      };
  }
  return { latency, tail, throughput, throughput_target_pct: TARGET_THROUGHPUT_PCT };
}

function round(x, d = 3) {
  if (x == null || Number.isNaN(x)) return null;
  const f = 10 ** d;
  return Math.round(x * f) / f;
}

function fmt(x, d = 0) {
  return x == null || Number.isNaN(x) ? "-" : Number(x).toFixed(d);
}

const signed = (x, d = 2) => (x == null ? "-" : `${x >= 0 ? "+" : ""}${Number(x).toFixed(d)}`);

/** Adds the chat rows through run.mjs's `row(label, scenario, rateKey, base, baseLabel, vs)`. */
export function gatewayRows(row, r, rate) {
  // At a fixed rate the request rates match by construction; what compares is latency.
  const latencyVs = (s, base) => `p50 ${signed(diff(s.latency_ms.p50, base.latency_ms.p50))} ms`;
  const o = `${rate}rps`;
  row(`upstream direct, ${rate}/s open`, r[`upstream-open@${o}`], "rps");
  row(
    `pass-through Worker, ${rate}/s open`,
    r[`passthrough-open@${o}`],
    "rps",
    r[`upstream-open@${o}`],
    "upstream direct, open",
    latencyVs,
  );
  row(
    `/inference, ${rate}/s open`,
    r[`gateway-open@${o}`],
    "rps",
    r[`passthrough-open@${o}`],
    "pass-through, open",
    latencyVs,
  );
  // Closed loop: throughput as % of the floor's, and the tail over the floor's.
  const tailVs = (s, base) =>
    `${fmt((s.rps / base.rps) * 100)}%, p99 ${signed(diff(s.latency_ms.p99, base.latency_ms.p99))}, ` +
    `p999 ${signed(diff(s.latency_ms.p999, base.latency_ms.p999))} ms`;
  for (const c of TAIL_CONNECTIONS) {
    const floor = r[`tail-passthrough@${c}`];
    row(`pass-through Worker @${c}, interleaved`, floor, "rps");
    row(
      `/inference @${c}, interleaved`,
      r[`tail-gateway@${c}`],
      "rps",
      floor,
      `pass-through @${c}, interleaved`,
      tailVs,
    );
    if (r[`tail-portkey@${c}`])
      row(
        `Portkey gateway @${c}, interleaved`,
        r[`tail-portkey@${c}`],
        "rps",
        floor,
        `pass-through @${c}, interleaved`,
        tailVs,
      );
  }
  for (const c of [50, 200]) {
    row(`upstream direct @${c}`, r[`upstream-direct@${c}`], "rps");
    row(`pass-through Worker @${c}`, r[`passthrough@${c}`], "rps", r[`upstream-direct@${c}`], `upstream direct @${c}`);
    row(`/inference @${c}`, r[`gateway@${c}`], "rps", r[`passthrough@${c}`], `pass-through @${c}`, tailVs);
  }
}

const verdict = (ok) => (ok ? "met" : "NOT met");

/** Lines under the table: overhead over the floor, throughput as % of the floor's, against the targets. */
export function gatewaySummary(r, figures, upstreamCalls) {
  const out = [];
  const failed = Object.entries(r)
    .filter(([n, s]) => s?.error && /^(gateway|passthrough|upstream)/.test(n))
    .map(([n]) => n);
  if (failed.length) out.push(`model gateway scenarios FAILED: ${failed.join(", ")}`);
  const l = figures.latency;
  if (l) {
    out.push(
      `gateway overhead over the pass-through floor at ${l.rate_per_s}/s open loop: p50 ${signed(l.p50_overhead_ms)} ms (target < ${TARGET_P50_MS}: ` +
        `${verdict(l.p50_overhead_ms < TARGET_P50_MS)}), p99 ${signed(l.p99_overhead_ms)} ms (target < ${TARGET_P99_MS}: ${verdict(l.p99_overhead_ms < TARGET_P99_MS)}); ` +
        `workerd CPU ${fmt(l.srv_us_per_req.gateway)} vs ${fmt(l.srv_us_per_req.passthrough)} µs/request; ` +
        `the pass-through itself adds p50 ${signed(l.passthrough_over_upstream_p50_ms)} / p99 ${signed(l.passthrough_over_upstream_p99_ms)} ms over the upstream direct`,
    );
  }
  for (const [c, x] of Object.entries(figures.tail ?? {})) {
    const g = x.gateway_over_floor;
    const k = x.portkey_over_floor;
    if (!g) continue;
    const ref = k ? k.p99_ms : x.portkey_reference_p99_ms;
    out.push(
      `gateway tail over the pass-through floor @${c}: p50 ${signed(g.p50_ms)} / p99 ${signed(g.p99_ms)} / p999 ${signed(g.p999_ms)} ms` +
        (k
          ? `; Portkey (same run) p50 ${signed(k.p50_ms)} / p99 ${signed(k.p99_ms)} / p999 ${signed(k.p999_ms)} ms`
          : `; Portkey reference (issue 7, wrangler dev) p99 +${x.portkey_reference_p99_ms} ms`) +
        ` — p99 under Portkey's: ${verdict(g.p99_ms != null && g.p99_ms < ref)}`,
    );
  }
  const t = Object.entries(figures.throughput);
  if (t.length) {
    out.push(
      `gateway throughput vs pass-through floor: ${t
        .map(
          ([c, x]) =>
            `@${c} ${fmt(x.pct_of_floor)}% (${fmt(x.gateway_rps)} vs ${fmt(x.passthrough_rps)} req/s, ` +
            `${fmt(x.srv_us_per_req.gateway)} vs ${fmt(x.srv_us_per_req.passthrough)} srv µs/req)`,
        )
        .join(", ")} ` +
        `(target >= ${TARGET_THROUGHPUT_PCT}%: ${verdict(t.every(([, x]) => x.pct_of_floor >= TARGET_THROUGHPUT_PCT))}); each inference's log row is also ` +
        `inserted into D1 in batches from waitUntil — in this workerd, on the same core`,
    );
  }
  if (upstreamCalls != null)
    out.push(`fake upstream (orchestrator process) answered ${upstreamCalls} chat completions in all`);
  return out;
}
