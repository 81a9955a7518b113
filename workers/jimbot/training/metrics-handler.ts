/**
 * Model metrics from the bus: a trainer (Ray RLlib or any other) reports with EventType METRIC and source
 * `ray_rllib`, which the bus files under the subject `metrics.ray_rllib`. Each report upserts the latest value
 * of each named metric for its model in D1 `model_metrics`, exactly once (the handler ledger), and never lets
 * an older report that arrives late overwrite a newer one.
 */
import { PermanentError, type BusHandler } from "../../platform/bus/consumer";
import type { BusEvent } from "../../platform/bus/envelope";
import type { HandlerContext } from "../../platform/bus/handlers";
import type { Env } from "../../platform/env";
import type { Logger } from "../../platform/logger";
import { ModelMetricsReportSchema } from "./schemas";

export const MODEL_METRICS_SUBJECT = "metrics.ray_rllib";
const HANDLER = "jimbot.training.metrics";

async function onReport(event: BusEvent, env: Env, log: Logger, ctx: HandlerContext): Promise<void> {
  const parsed = ModelMetricsReportSchema.safeParse(event.payload);
  if (!parsed.success) {
    const first = parsed.error.issues[0];
    throw new PermanentError(
      `${event.type} payload.${first?.path.map(String).join(".") ?? ""}: ${first?.message ?? "invalid"}`,
    );
  }
  const report = parsed.data;
  const at = Date.parse(event.timestamp);
  const statements = Object.entries(report.metrics).map(([name, value]) =>
    env.DB.prepare(
      `INSERT INTO model_metrics (model_id, name, value, step, reported_at, event_id) VALUES (?, ?, ?, ?, ?, ?)
       ON CONFLICT (model_id, name) DO UPDATE SET value = excluded.value, step = excluded.step,
         reported_at = excluded.reported_at, event_id = excluded.event_id
       WHERE excluded.reported_at >= model_metrics.reported_at`,
    ).bind(report.model_id, name, value, report.step ?? null, at, event.event_id),
  );
  const applied = await ctx.once(statements);
  log.info("model metrics", { model_id: report.model_id, metrics: statements.length, applied });
}

export const trainingBusHandlers: Record<string, BusHandler[]> = {
  [MODEL_METRICS_SUBJECT]: [{ name: HANDLER, run: onReport }],
};

interface MetricRow {
  name: string;
  value: number;
  step: number | null;
  reported_at: number;
}

export async function readModelMetrics(env: Env, modelId: string): Promise<MetricRow[]> {
  const rows = await env.DB.prepare(
    "SELECT name, value, step, reported_at FROM model_metrics WHERE model_id = ? ORDER BY name",
  )
    .bind(modelId)
    .all<MetricRow>();
  return rows.results;
}
