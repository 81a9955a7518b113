/**
 * Feedback and the inference log: `POST /feedback` (a declared `[metrics.X]`, on an inference or an
 * episode), `GET /inferences` (filters, cursor), `GET /inferences/{id}`, `GET /episodes/{id}`.
 */
import { createRoute, z } from "@hono/zod-openapi";
import { and, desc, eq, lt, or } from "drizzle-orm";
import { requireScope } from "../../platform/auth/middleware";
import { createDb } from "../../platform/db/client";
import { feedback, inferences } from "../../platform/db/schema";
import { AppError } from "../../platform/errors";
import { bearerSecurity, errorResponses, jsonContent } from "../../platform/openapi";
import { createRouter } from "../../platform/validation";
import { decodeCursor, encodeCursor } from "../../platform/cursor";
import { loadGatewayConfig } from "../config/source";
import { uuidv7 } from "./ids";

const tags = ["models"];
const anyJson = z.record(z.string(), z.unknown());
type InferenceRow = typeof inferences.$inferSelect;

function present(r: InferenceRow) {
  return {
    inference_id: r.id,
    episode_id: r.episodeId,
    function_name: r.functionName,
    variant_name: r.variantName,
    provider: r.provider,
    model: r.model,
    tier: r.tier,
    status: r.status,
    attempts: r.attempts,
    usage: { input_tokens: r.inputTokens, output_tokens: r.outputTokens },
    cost_usd: r.cost,
    latency_ms: r.latencyMs,
    ttft_ms: r.ttftMs,
    cache: r.cache,
    tags: r.tags,
    request: r.request,
    response: r.response,
    timestamp: new Date(r.createdAt).toISOString(),
  };
}

const FeedbackSchema = z
  .object({
    metric_name: z.string().min(1).max(200),
    inference_id: z.uuid().optional(),
    episode_id: z.uuid().optional(),
    value: z.union([z.boolean(), z.number()]),
    tags: z.record(z.string(), z.string()).optional(),
  })
  .refine((b) => Boolean(b.inference_id) !== Boolean(b.episode_id), {
    path: ["inference_id"],
    message: "give exactly one of inference_id and episode_id",
  })
  .openapi("FeedbackRequest");

const postFeedback = createRoute({
  method: "post",
  path: "/feedback",
  tags,
  summary: "Feedback for a declared metric on an inference or an episode",
  security: bearerSecurity,
  middleware: [requireScope("models:feedback")] as const,
  request: { body: { required: true, ...jsonContent(FeedbackSchema) } },
  responses: {
    200: { description: "Stored", ...jsonContent(z.object({ feedback_id: z.string() })) },
    ...errorResponses(400, 401, 403, 404, 415),
  },
});

const ListQuery = z.object({
  function_name: z.string().max(200).optional(),
  variant_name: z.string().max(200).optional(),
  episode_id: z.uuid().optional(),
  status: z.string().max(50).optional(),
  cursor: z.string().max(512).optional(),
  limit: z.coerce.number().int().min(1).max(500).default(50),
});

const listInferences = createRoute({
  method: "get",
  path: "/inferences",
  tags,
  summary: "The inference log, newest first",
  security: bearerSecurity,
  middleware: [requireScope("models:read")] as const,
  request: { query: ListQuery },
  responses: { 200: { description: "A page", ...jsonContent(anyJson) }, ...errorResponses(400, 401, 403) },
});

const getInference = createRoute({
  method: "get",
  path: "/inferences/{inference_id}",
  tags,
  summary: "One inference with its attempts and feedback",
  security: bearerSecurity,
  middleware: [requireScope("models:read")] as const,
  request: { params: z.object({ inference_id: z.uuid().openapi({ param: { name: "inference_id", in: "path" } }) }) },
  responses: { 200: { description: "The inference", ...jsonContent(anyJson) }, ...errorResponses(400, 401, 403, 404) },
});

const getEpisode = createRoute({
  method: "get",
  path: "/episodes/{episode_id}",
  tags,
  summary: "An episode: its inferences in order and its feedback",
  security: bearerSecurity,
  middleware: [requireScope("models:read")] as const,
  request: { params: z.object({ episode_id: z.uuid().openapi({ param: { name: "episode_id", in: "path" } }) }) },
  responses: { 200: { description: "The episode", ...jsonContent(anyJson) }, ...errorResponses(400, 401, 403, 404) },
});

export const logRoutes = createRouter()
  .openapi(postFeedback, async (c) => {
    const body = c.req.valid("json");
    const { config } = await loadGatewayConfig(c.env);
    const metric = config.metrics.get(body.metric_name);
    if (!metric)
      throw new AppError(
        400,
        "invalid_input",
        `body.metric_name: no [metrics.${body.metric_name}] in the gateway config`,
        { field: "body.metric_name" },
      );
    const targetType = body.inference_id ? "inference" : "episode";
    if (metric.level !== targetType)
      throw new AppError(
        400,
        "invalid_input",
        `body.${targetType}_id: metric '${metric.name}' is recorded per ${metric.level}`,
        { field: `body.${targetType}_id` },
      );
    if ((metric.type === "boolean") !== (typeof body.value === "boolean"))
      throw new AppError(400, "invalid_input", `body.value: metric '${metric.name}' takes a ${metric.type}`, {
        field: "body.value",
      });
    const db = createDb(c.env.DB);
    const targetId = body.inference_id ?? body.episode_id ?? "";
    const exists = await db
      .select({ id: inferences.id })
      .from(inferences)
      .where(targetType === "inference" ? eq(inferences.id, targetId) : eq(inferences.episodeId, targetId))
      .limit(1);
    if (exists.length === 0)
      throw new AppError(
        404,
        `${targetType}_not_found`,
        `no ${targetType} '${targetId}' in the log (it may not be written yet)`,
      );
    const id = uuidv7();
    await db.insert(feedback).values({
      id,
      metricName: metric.name,
      targetType,
      targetId,
      value: body.value,
      tags: body.tags ?? null,
      createdAt: Date.now(),
    });
    return c.json({ feedback_id: id }, 200);
  })
  .openapi(listInferences, async (c) => {
    const q = c.req.valid("query");
    const after = q.cursor ? decodeCursor(q.cursor) : undefined;
    const rows = await createDb(c.env.DB)
      .select()
      .from(inferences)
      .where(
        and(
          q.function_name ? eq(inferences.functionName, q.function_name) : undefined,
          q.variant_name ? eq(inferences.variantName, q.variant_name) : undefined,
          q.episode_id ? eq(inferences.episodeId, q.episode_id) : undefined,
          q.status ? eq(inferences.status, q.status) : undefined,
          after
            ? or(
                lt(inferences.createdAt, after.ts),
                and(eq(inferences.createdAt, after.ts), lt(inferences.id, after.id)),
              )
            : undefined,
        ),
      )
      .orderBy(desc(inferences.createdAt), desc(inferences.id))
      .limit(q.limit + 1);
    const page = rows.slice(0, q.limit);
    const last = page[page.length - 1];
    return c.json(
      {
        inferences: page.map(present),
        next_cursor: rows.length > q.limit && last ? encodeCursor({ ts: last.createdAt, id: last.id }) : null,
      },
      200,
    );
  })
  .openapi(getInference, async (c) => {
    const { inference_id } = c.req.valid("param");
    const db = createDb(c.env.DB);
    const [row] = await db.select().from(inferences).where(eq(inferences.id, inference_id)).limit(1);
    if (!row) throw new AppError(404, "inference_not_found", `no inference '${inference_id}' in the log`);
    const fb = await db
      .select()
      .from(feedback)
      .where(and(eq(feedback.targetType, "inference"), eq(feedback.targetId, inference_id)));
    return c.json(
      {
        ...present(row),
        feedback: fb.map((f) => ({
          metric_name: f.metricName,
          value: f.value,
          timestamp: new Date(f.createdAt).toISOString(),
        })),
      },
      200,
    );
  })
  .openapi(getEpisode, async (c) => {
    const { episode_id } = c.req.valid("param");
    const db = createDb(c.env.DB);
    const rows = await db
      .select()
      .from(inferences)
      .where(eq(inferences.episodeId, episode_id))
      .orderBy(inferences.createdAt, inferences.id)
      .limit(1000);
    if (rows.length === 0) throw new AppError(404, "episode_not_found", `no episode '${episode_id}' in the log`);
    const fb = await db
      .select()
      .from(feedback)
      .where(and(eq(feedback.targetType, "episode"), eq(feedback.targetId, episode_id)));
    return c.json(
      {
        episode_id,
        inferences: rows.map(present),
        feedback: fb.map((f) => ({
          metric_name: f.metricName,
          value: f.value,
          timestamp: new Date(f.createdAt).toISOString(),
        })),
      },
      200,
    );
  });
