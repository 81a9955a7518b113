/**
 * `GET /metrics`: flushes this isolate's buffer, sums every shard's series, asks each domain's collector for
 * its gauges, and renders Prometheus text. Needs `metrics:read`.
 */
import { createRoute, z } from "@hono/zod-openapi";
import { requireScope } from "../auth/middleware";
import type { Env } from "../env";
import { bearerSecurity, errorResponses } from "../openapi";
import { createRouter } from "../validation";
import { renderExposition, type GaugeSample } from "./exposition";
import { flushNow, METRIC_SHARDS } from "./recorder";
import { metricsShard } from "./shard";

export type GaugeCollector = (env: Env) => Promise<GaugeSample[]>;

async function readShards(env: Env): Promise<Map<string, number>> {
  const shards = Array.from({ length: METRIC_SHARDS }, (_, i) => metricsShard(env, i).read());
  const summed = new Map<string, number>();
  for (const rows of await Promise.all(shards)) {
    for (const { key, value } of rows) summed.set(key, (summed.get(key) ?? 0) + value);
  }
  return summed;
}

const metricsRoute = createRoute({
  method: "get",
  path: "/metrics",
  tags: ["platform"],
  summary: "Prometheus metrics",
  security: bearerSecurity,
  middleware: [requireScope("metrics:read")] as const,
  responses: {
    200: { description: "Prometheus text exposition 0.0.4", content: { "text/plain": { schema: z.string() } } },
    ...errorResponses(401, 403),
  },
});

export function metricsRoutes(collectors: readonly GaugeCollector[]) {
  return createRouter().openapi(metricsRoute, async (c) => {
    await flushNow(c.env);
    const [series, gauges] = await Promise.all([readShards(c.env), Promise.all(collectors.map((f) => f(c.env)))]);
    const text = renderExposition(series, gauges.flat());
    return c.text(text, 200, { "content-type": "text/plain; version=0.0.4; charset=utf-8" });
  });
}
