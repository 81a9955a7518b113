/**
 * The strategy advisor over HTTP: `POST /api/v1/strategies` answers synchronously (seed 002's RequestStrategy
 * without the queue), `GET /api/v1/strategies/cache` is the seed's GetCachedStrategies (entries, hit counts,
 * age), and DELETE on the cache or one fingerprint invalidates. A refusal with no cached strategy to fall back
 * on is 429 (rate limit), 503 (breaker open, model failing) or 504 (deadline), with Retry-After when known and
 * the whole StrategyResponse in `details`.
 */
import { createRoute, z } from "@hono/zod-openapi";
import { requireScope } from "../../platform/auth/middleware";
import { AppError } from "../../platform/errors";
import type { GatewayModel } from "../../platform/model-port";
import { bearerSecurity, ErrorSchema, errorResponses, jsonContent } from "../../platform/openapi";
import { formatTraceparent } from "../../platform/trace";
import { createRouter } from "../../platform/validation";
import { advise } from "./advise";
import { invalidateCached, listCached } from "./cache-store";
import {
  CacheListSchema,
  CacheQuerySchema,
  FingerprintParamSchema,
  StrategyRequestSchema,
  StrategyResponseSchema,
  type StrategyResponse,
} from "./schemas";

const tags = ["jimbot"];

const requestStrategy = createRoute({
  method: "post",
  path: "/api/v1/strategies",
  tags,
  summary: "Ask the strategy advisor (ClaudeAdvisor) for a strategy; answers within STRATEGY_TIMEOUT (5 s)",
  security: bearerSecurity,
  middleware: [requireScope("models:infer")] as const,
  request: { body: { required: true, ...jsonContent(StrategyRequestSchema) } },
  responses: {
    200: {
      description: "A strategy: fresh from the model, or cached (then `refusal` says why the model was not asked)",
      ...jsonContent(StrategyResponseSchema),
    },
    503: { description: "Breaker open or the model failing, and nothing cached", ...jsonContent(ErrorSchema) },
    504: { description: "No answer within the deadline, and nothing cached", ...jsonContent(ErrorSchema) },
    ...errorResponses(400, 401, 403, 415, 429),
  },
});

const listCache = createRoute({
  method: "get",
  path: "/api/v1/strategies/cache",
  tags,
  summary: "Cached strategies, newest first, with hit counts and age",
  security: bearerSecurity,
  middleware: [requireScope("models:read")] as const,
  request: { query: CacheQuerySchema },
  responses: { 200: { description: "Entries", ...jsonContent(CacheListSchema) }, ...errorResponses(400, 401, 403) },
});

const DeletedSchema = z.object({ deleted: z.number().int().nonnegative() });

const clearCache = createRoute({
  method: "delete",
  path: "/api/v1/strategies/cache",
  tags,
  summary: "Invalidate every cached strategy",
  security: bearerSecurity,
  middleware: [requireScope("admin")] as const,
  responses: {
    200: { description: "How many were removed", ...jsonContent(DeletedSchema) },
    ...errorResponses(401, 403),
  },
});

const deleteEntry = createRoute({
  method: "delete",
  path: "/api/v1/strategies/cache/{fingerprint}",
  tags,
  summary: "Invalidate the cached strategy of one situation",
  security: bearerSecurity,
  middleware: [requireScope("admin")] as const,
  request: { params: FingerprintParamSchema },
  responses: {
    200: { description: "Removed", ...jsonContent(DeletedSchema) },
    ...errorResponses(400, 401, 403, 404),
  },
});

function refusalError(r: StrategyResponse): AppError {
  const reason = r.refusal?.reason ?? "model_error";
  const status = reason === "rate_limited" ? 429 : reason === "timeout" ? 504 : 503;
  const code = reason === "timeout" ? "strategy_timeout" : reason;
  const retry = r.refusal?.retry_after_ms ?? 0;
  const headers = retry > 0 ? { "retry-after": String(Math.ceil(retry / 1000)) } : undefined;
  return new AppError(status, code, r.refusal?.message ?? "no strategy", r, headers);
}

export function strategyRoutes(model: GatewayModel) {
  return createRouter()
    .openapi(requestStrategy, async (c) => {
      const principal = c.get("principal");
      const answer = await advise(
        {
          env: c.env,
          ctx: c.executionCtx,
          model,
          log: c.get("logger"),
          traceparent: formatTraceparent(c.get("trace")),
          workspace: principal.workspaceId,
        },
        c.req.valid("json"),
      );
      if (answer.status === "refused") throw refusalError(answer);
      return c.json(answer, 200);
    })
    .openapi(listCache, async (c) => {
      const { entries, total } = await listCached(c.env, c.req.valid("query").limit);
      const now = Date.now();
      return c.json(
        {
          entries: entries.map((e) => ({
            fingerprint: e.fingerprint,
            situation: e.situation,
            strategy: e.strategy,
            hits: e.hits,
            created_at: new Date(e.createdAt).toISOString(),
            last_hit_at: e.lastHitAt === null ? null : new Date(e.lastHitAt).toISOString(),
            age_s: Math.max(0, Math.floor((now - e.createdAt) / 1000)),
          })),
          total,
        },
        200,
      );
    })
    .openapi(clearCache, async (c) => c.json({ deleted: await invalidateCached(c.env) }, 200))
    .openapi(deleteEntry, async (c) => {
      const { fingerprint } = c.req.valid("param");
      const deleted = await invalidateCached(c.env, fingerprint);
      if (deleted === 0) throw new AppError(404, "not_found", `no cached strategy ${fingerprint}`);
      return c.json({ deleted }, 200);
    });
}
