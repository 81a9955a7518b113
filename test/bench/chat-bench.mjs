// The chat gateway's part of `npm run bench`, used by run.mjs (issue 8): the gateway config's `chat`
// function on the fake upstream (which answers at once, streamed when asked), the scenarios, the load process
// (test/bench/load-chat.mjs) and the rows and lines the report prints.
//
// - chat-turns@8: POST /chat turns/s, closed loop at 8 connections (a new session each turn: enforcer, audit,
//   Session object, model gateway, transcript).
// - chat-ws@1: WebSocket `message` → first streamed `token` frame p50/p95, one socket, closed loop; the
//   whole reply (`done`) beside it. Target: first token p95 < 20 ms.
// Both sit beside /healthz in the same run (its rows are printed in the same table).
import { spawn } from "node:child_process";
import { join } from "node:path";

const HERE = import.meta.dirname;
const TARGET_FIRST_TOKEN_P95_MS = 20;

/** Appended to the bench gateway config: the chat gateway's function on the bench model. */
export const CHAT_GATEWAY_TOML = `
[functions.chat]
type = "chat"

[functions.chat.variants.only]
model = "models.bench"
`;

export function chatSessionPlan(origin) {
  return [
    ["chat-turns@8", origin, { chatGateway: true, kind: "turns", connections: 8, quiet: true }],
    ["chat-ws@1", origin, { chatGateway: true, kind: "ws", connections: 1, quiet: true }],
  ];
}

/** Runs one chat scenario in its own process; resolves to its figures. */
export function runChatLoad(config) {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [join(HERE, "load-chat.mjs")], { stdio: ["pipe", "pipe", "pipe"] });
    let out = "";
    let why = "";
    child.stdout.setEncoding("utf8");
    child.stdout.on("data", (d) => (out += d));
    child.stderr.setEncoding("utf8");
    child.stderr.on("data", (d) => {
      process.stderr.write(d);
      const m = /\[load-chat\] failed: (?:Error: )?(.*)/.exec(d);
      if (m) why = m[1];
    });
    child.on("error", reject);
    child.on("close", (code) => {
      if (code !== 0) return reject(new Error(`load-chat.mjs (${config.name}) exited ${code}${why ? `: ${why}` : ""}`));
      try {
        resolve(JSON.parse(out.trim().split("\n").pop()));
      } catch (err) {
        reject(new Error(`load-chat.mjs (${config.name}) printed no JSON: ${err.message}`));
      }
    });
    child.stdin.end(JSON.stringify(config));
  });
}

export function chatFigures(scenarios) {
  const turns = scenarios["chat-turns@8"];
  const ws = scenarios["chat-ws@1"];
  const healthz = scenarios["healthz@1"];
  const pick = (l) => l && { p50: l.p50, p95: l.p95, p99: l.p99 };
  return {
    turns_per_s: turns?.rps ?? null,
    turn_latency_ms: pick(turns?.latency_ms),
    ws_first_token_ms: pick(ws?.first_token_ms),
    ws_whole_reply_ms: pick(ws?.whole_reply_ms),
    healthz_at_1_ms: pick(healthz?.latency_ms),
    target_first_token_p95_ms: TARGET_FIRST_TOKEN_P95_MS,
    first_token_target_met: ws?.first_token_ms?.p95 == null ? null : ws.first_token_ms.p95 < TARGET_FIRST_TOKEN_P95_MS,
  };
}

export function chatRows(row, r) {
  row("chat: POST /chat turns @8", r["chat-turns@8"], "rps", r["healthz@50"], "healthz @50");
  row("chat: /ws message → first token @1", r["chat-ws@1"], "rps", r["healthz@1"], "healthz @1");
}

export function chatSummary(figures) {
  const out = [];
  if (figures.turns_per_s != null)
    out.push(
      `chat turns (POST /chat, new session each, model answers at once): ${figures.turns_per_s} turns/s @8, ` +
        `p50 ${figures.turn_latency_ms?.p50} / p95 ${figures.turn_latency_ms?.p95} ms`,
    );
  const f = figures.ws_first_token_ms;
  if (f)
    out.push(
      `chat WebSocket message → first streamed token: p50 ${f.p50} / p95 ${f.p95} ms (target p95 < ` +
        `${figures.target_first_token_p95_ms}: ${figures.first_token_target_met ? "met" : "NOT met"}); whole reply ` +
        `p50 ${figures.ws_whole_reply_ms?.p50} / p95 ${figures.ws_whole_reply_ms?.p95} ms; ` +
        `healthz @1 p50 ${figures.healthz_at_1_ms?.p50 ?? "-"} / p95 ${figures.healthz_at_1_ms?.p95 ?? "-"} ms`,
    );
  return out;
}
