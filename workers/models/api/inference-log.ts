/**
 * The inference log: every inference's row is buffered in the isolate and inserted into D1 in batches from
 * `waitUntil`, so the log never sits on the request path. Request and response bodies are capped so rows
 * stay small. Provider trouble (no credit, wrong key) is also announced on the bus as ERROR events.
 */
import { errorEvent } from "../../platform/bus/error-event";
import { publish } from "../../platform/bus/publish";
import type { inferences } from "../../platform/db/schema";
import type { Env } from "../../platform/env";
import { boundedList, createIsolateBuffer } from "../../platform/isolate-buffer";
import { errorRate } from "../../platform/metrics/catalog";
import { increment } from "../../platform/metrics/recorder";

const BODY_CAP = 2048;

export type InferenceRow = typeof inferences.$inferSelect;

export function cap(value: unknown): string {
  const text = typeof value === "string" ? value : (JSON.stringify(value) ?? "");
  return text.length > BODY_CAP ? `${text.slice(0, BODY_CAP)}…[${text.length - BODY_CAP} more]` : text;
}

/**
 * Rows wait in the isolate this long, so one D1 batch carries many inferences. Once a second rather than
 * four times: each flush is a pause for the requests in flight (and under local workerd D1 runs on the same
 * thread), and at a few hundred requests a second four pauses a second land in the p99 (issue 7).
 */
const FLUSH_DELAY_MS = 1000;
const MAX_BUFFERED = 5000;
/** JSON text per statement, under D1's 2 MB bound on one value with room to spare. */
const MAX_STATEMENT_JSON = 900_000;

/** The table's columns in the order `toTuple` writes them. */
const COLUMNS = [
  "id",
  "episode_id",
  "function_name",
  "variant_name",
  "provider",
  "model",
  "tier",
  "status",
  "attempts",
  "input_tokens",
  "output_tokens",
  "cost",
  "latency_ms",
  "ttft_ms",
  "cache",
  "workspace",
  "tags",
  "request",
  "response",
  "created_at",
] as const;

/**
 * One statement inserts a whole chunk of rows from a single JSON parameter. Building it through drizzle's
 * query builder (4 rows a statement, 20 bound values each, to stay under D1's 100 parameters) cost the
 * request isolate 10-90 ms per flush under load — a stall every request in flight waited for, and the
 * gateway's p99 (issue 7's tail latency). A JSON.stringify per row is a fraction of that.
 */
const INSERT_SQL =
  `INSERT INTO inferences (${COLUMNS.join(", ")}) ` +
  `SELECT ${COLUMNS.map((_, i) => `json_extract(value, '$[${i}]')`).join(", ")} FROM json_each(?1) ` +
  // `WHERE true` lets SQLite parse the upsert clause after a SELECT; a redelivered id is skipped.
  `WHERE true ON CONFLICT (id) DO NOTHING`;

/** The row as a JSON array in COLUMNS order; JSON columns are stored as their text, as drizzle's json mode does. */
function toTuple(r: InferenceRow): string {
  return JSON.stringify([
    r.id,
    r.episodeId,
    r.functionName,
    r.variantName,
    r.provider,
    r.model,
    r.tier,
    r.status,
    JSON.stringify(r.attempts),
    r.inputTokens,
    r.outputTokens,
    r.cost,
    r.latencyMs,
    r.ttftMs,
    r.cache,
    r.workspace,
    r.tags == null ? null : JSON.stringify(r.tags),
    r.request,
    r.response,
    r.createdAt,
  ]);
}

const pending = boundedList<InferenceRow>(MAX_BUFFERED);

/** Rows serialized between yields: a flush is many short slices of work, not one long pause. */
const ROWS_PER_SLICE = 100;

async function insertRows(rows: readonly InferenceRow[], env: Env): Promise<void> {
  const statements: D1PreparedStatement[] = [];
  let chunk: string[] = [];
  let size = 0;
  const close = () => {
    if (chunk.length) statements.push(env.DB.prepare(INSERT_SQL).bind(`[${chunk.join(",")}]`));
    chunk = [];
    size = 0;
  };
  for (let i = 0; i < rows.length; i++) {
    const row = rows[i];
    if (!row) continue;
    // The flush shares the isolate with requests in flight: let them run between slices.
    if (i > 0 && i % ROWS_PER_SLICE === 0) await scheduler.wait(0);
    const tuple = toTuple(row);
    if (size + tuple.length > MAX_STATEMENT_JSON) close();
    chunk.push(tuple);
    size += tuple.length + 1;
  }
  close();
  if (statements.length) await env.DB.batch(statements);
}

// D1 refused the batch: its rows go back (bounded) for the next flush rather than being lost.
const buffer = createIsolateBuffer<InferenceRow[], Env>({
  store: pending,
  delayMs: FLUSH_DELAY_MS,
  onFailure: "put-back",
  send: insertRows,
});

/**
 * Queues the row in this isolate and arranges one delayed batch insert from `waitUntil`: the log never sits
 * on the request path, and many inferences share one D1 round trip. (Not through the event bus: a log row
 * needs no history, no live fan-out and no handlers, and that path cost more than the inference itself.)
 */
export function logInference(env: Env, row: InferenceRow, waitUntil: (p: Promise<unknown>) => void): void {
  pending.push(row);
  buffer.schedule(env, waitUntil);
}

/**
 * A provider found out of credit or with a wrong key is a failure worth announcing: published as an ERROR
 * event (seed 002), so operators see it on the bus and in `jimbot_error_rate_total`.
 */
export function announceProviderTrouble(
  env: Env,
  attempts: readonly { provider: string; status: string; reason: string }[],
  traceparent: string,
): Promise<void> {
  const events = attempts
    .filter((a) => a.status === "quota" || a.status === "auth")
    .map((a) => {
      const exhausted = a.status === "quota";
      increment(errorRate, {
        component: `model.provider.${a.provider}`,
        severity: "ERROR",
        error_type: exhausted ? "provider_exhausted" : "provider_misconfigured",
      });
      return errorEvent({
        sourceComponent: `model.provider.${a.provider}`,
        severity: "ERROR",
        message: `${a.provider}: ${a.reason}`,
        errorType: exhausted ? "provider_exhausted" : "provider_misconfigured",
        suggestedAction: "FALLBACK",
        traceparent,
        context: { provider: a.provider },
      });
    });
  return events.length ? publish(env, events).catch(() => undefined) : Promise.resolve();
}
