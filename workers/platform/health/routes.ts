/**
 * Public health routes: `/healthz` answers without touching storage (for load balancers and the bench
 * floor); `/health` checks D1 and the BoTZ registry and reports the component's name and version.
 */
import { createRoute, z } from "@hono/zod-openapi";
import { readConfig } from "../config";
import type { Env } from "../env";
import { createRouter } from "../validation";

const HealthzSchema = z.object({ status: z.literal("ok") }).openapi("Healthz");
const CheckSchema = z.object({ status: z.enum(["ok", "error"]), latency_ms: z.number(), error: z.string().optional() });
const HealthSchema = z
  .object({
    status: z.enum(["ok", "degraded"]),
    component: z.string(),
    version: z.string(),
    checks: z.record(z.string(), CheckSchema),
  })
  .openapi("Health");

export type HealthCheck = (env: Env) => Promise<unknown>;

const healthz = createRoute({
  method: "get",
  path: "/healthz",
  tags: ["platform"],
  summary: "Liveness",
  responses: { 200: { description: "Alive", content: { "application/json": { schema: HealthzSchema } } } },
});

const health = createRoute({
  method: "get",
  path: "/health",
  tags: ["platform"],
  summary: "Readiness: storage and registry checks",
  responses: {
    200: { description: "Healthy", content: { "application/json": { schema: HealthSchema } } },
    503: { description: "A dependency failed", content: { "application/json": { schema: HealthSchema } } },
  },
});

async function timed(check: () => Promise<unknown>): Promise<z.infer<typeof CheckSchema>> {
  const start = Date.now();
  try {
    await check();
    return { status: "ok", latency_ms: Date.now() - start };
  } catch (err) {
    return { status: "error", latency_ms: Date.now() - start, error: err instanceof Error ? err.message : String(err) };
  }
}

export function healthRoutes(checks: Readonly<Record<string, HealthCheck>>) {
  return createRouter()
    .openapi(healthz, (c) => c.json({ status: "ok" as const }, 200))
    .openapi(health, async (c) => {
      const names = Object.keys(checks);
      const results = await Promise.all(names.map((n) => timed(() => (checks[n] as HealthCheck)(c.env))));
      const byName = Object.fromEntries(names.map((n, i) => [n, results[i] as z.infer<typeof CheckSchema>]));
      const ok = results.every((r) => r.status === "ok");
      const { componentName, componentVersion } = readConfig(c.env);
      const body = {
        status: ok ? ("ok" as const) : ("degraded" as const),
        component: componentName,
        version: componentVersion,
        checks: byName,
      };
      return ok ? c.json(body, 200) : c.json(body, 503);
    });
}
