/**
 * `PUT /api/v1/config/rate_limits` stores per-key limits in D1 (seed 002's UpdateRateLimits);
 * `GET /api/v1/config/rate_limits` shows what is in force: the defaults and every stored row.
 */
import { createRoute } from "@hono/zod-openapi";
import { requireScope } from "../auth/middleware";
import { AppError } from "../errors";
import { bearerSecurity, errorResponses, jsonContent } from "../openapi";
import { createRouter } from "../validation";
import {
  DEFAULT_KEY,
  LIMITS_CACHE_MS,
  listStoredLimits,
  SEED_LIMITS,
  storeLimits,
  type BucketLimits,
  type StoredLimit,
} from "./limits";
import { formatRefill, LimitsSchema, PutLimitsBodySchema, refillPerHour } from "./schemas";

const tags = ["config"];
const PATH = "/api/v1/config/rate_limits";
const RESOLUTION =
  "exact key, else the longest prefix pattern ending in '*', else 'default', else the seed (100, 100/hour, burst 10)";

function present(l: BucketLimits & { key: string; updated_at?: number; updated_by?: string }) {
  return {
    key: l.key,
    strategy: "token_bucket" as const,
    capacity: l.capacity,
    refill_rate: formatRefill(l.refill_per_hour),
    refill_per_hour: l.refill_per_hour,
    burst_capacity: l.burst_per_second,
    updated_at: l.updated_at === undefined ? null : new Date(l.updated_at).toISOString(),
    updated_by: l.updated_by ?? null,
  };
}

function inForce(rows: readonly StoredLimit[]) {
  const stored = rows.find((r) => r.key === DEFAULT_KEY);
  const defaults = stored
    ? { ...present(stored), source: "stored" as const }
    : { ...present({ key: DEFAULT_KEY, ...SEED_LIMITS }), source: "seed" as const };
  return { defaults, limits: rows.map(present), resolution: RESOLUTION, propagation_ms: LIMITS_CACHE_MS };
}

const put = createRoute({
  method: "put",
  path: PATH,
  tags,
  summary: "Set per-key rate limits (upsert); in force on every isolate within 2 s",
  security: bearerSecurity,
  middleware: [requireScope("admin")] as const,
  request: { body: { required: true, ...jsonContent(PutLimitsBodySchema) } },
  responses: {
    200: { description: "The limits now in force", ...jsonContent(LimitsSchema) },
    ...errorResponses(400, 401, 403, 415),
  },
});

const get = createRoute({
  method: "get",
  path: PATH,
  tags,
  summary: "The rate limits in force: defaults and every stored override",
  security: bearerSecurity,
  middleware: [requireScope("admin")] as const,
  responses: { 200: { description: "The limits in force", ...jsonContent(LimitsSchema) }, ...errorResponses(401, 403) },
});

export const rateLimitRoutes = createRouter()
  .openapi(put, async (c) => {
    const now = Date.now();
    const by = c.get("principal").sub;
    const rows = c.req.valid("json").limits.map((l, i): StoredLimit => {
      const perHour = refillPerHour(l.refill_rate);
      // The schema has already refused such a rate; this keeps a 0 out of D1 should the two ever drift.
      if (perHour === null) throw new AppError(400, "invalid_input", `body.limits.${i}.refill_rate: unreadable rate`);
      return {
        key: l.key,
        capacity: l.capacity,
        refill_per_hour: perHour,
        burst_per_second: l.burst_capacity,
        updated_at: now,
        updated_by: by,
      };
    });
    await storeLimits(c.env, rows);
    return c.json(inForce(await listStoredLimits(c.env)), 200);
  })
  .openapi(get, async (c) => c.json(inForce(await listStoredLimits(c.env)), 200));
