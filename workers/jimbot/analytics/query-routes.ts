/**
 * `POST /api/v1/query` (seed 002 "Analytics Interface", QueryMetrics): a SQL body — raw (`text/plain`,
 * `application/sql`) or `{ "sql": "…", "max_rows": n }` — checked read-only by sql-guard.ts, then run on
 * ANALYTICS_DB with a row limit (default 1000, at most 10000) and a time limit (2 s). Needs `metrics:read`.
 */
import { createRoute, z } from "@hono/zod-openapi";
import type { HonoRequest } from "hono";
import { requireScope } from "../../platform/auth/middleware";
import { AppError } from "../../platform/errors";
import { bearerSecurity, ErrorSchema, errorResponses, jsonContent } from "../../platform/openapi";
import { createRouter } from "../../platform/validation";
import { checkSql } from "./sql-guard";

export const DEFAULT_MAX_ROWS = 1000;
export const MAX_ROWS = 10_000;
export const QUERY_TIME_LIMIT_MS = 2000;
const MAX_SQL = 10_000;

const QueryBodySchema = z
  .object({
    sql: z.string().min(1).max(MAX_SQL).openapi({
      example: "SELECT name, count(*) AS events, avg(value) AS mean FROM analytics_events GROUP BY name",
    }),
    max_rows: z.number().int().min(1).max(MAX_ROWS).optional(),
  })
  .openapi("AnalyticsQuery");

const QueryResultSchema = z
  .object({
    columns: z.array(z.string()),
    rows: z.array(z.record(z.string(), z.unknown())),
    row_count: z.number().int(),
    truncated: z.boolean().openapi({ description: "More rows matched than max_rows" }),
    elapsed_ms: z.number(),
  })
  .openapi("AnalyticsQueryResult");

const query = createRoute({
  method: "post",
  path: "/api/v1/query",
  tags: ["analytics"],
  summary: "Run a read-only SQL query on the analytics tables",
  description:
    "One SELECT over `analytics_events` (30 days, by day) and `analytics_snapshots` (hourly, 90 days), known functions only. " +
    "Refused SQL is a 400 whose `details.position` is `{line, column, offset}`.",
  security: bearerSecurity,
  middleware: [requireScope("metrics:read")] as const,
  request: {
    body: {
      // Not `required`: a required body makes the JSON validator judge text/plain SQL too (sqlOf checks both).
      required: false,
      content: {
        "application/json": { schema: QueryBodySchema },
        "text/plain": { schema: z.string().min(1).max(MAX_SQL) },
      },
    },
  },
  responses: {
    200: { description: "The rows", ...jsonContent(QueryResultSchema) },
    504: { description: "Ran past the time limit", ...jsonContent(ErrorSchema) },
    ...errorResponses(400, 401, 403, 413, 415),
  },
});

async function sqlOf(req: HonoRequest<string>): Promise<{ sql: string; maxRows: number }> {
  const type = (req.header("content-type") ?? "").split(";")[0]?.trim().toLowerCase() ?? "";
  if (type === "application/json") {
    let raw: unknown;
    try {
      raw = await req.json();
    } catch {
      throw new AppError(400, "invalid_json", "body is not valid JSON");
    }
    const parsed = QueryBodySchema.safeParse(raw);
    if (!parsed.success) {
      const issue = parsed.error.issues[0];
      throw new AppError(400, "invalid_input", `body.${issue?.path.join(".") ?? ""}: ${issue?.message ?? "invalid"}`);
    }
    return { sql: parsed.data.sql, maxRows: parsed.data.max_rows ?? DEFAULT_MAX_ROWS };
  }
  if (type === "text/plain" || type === "application/sql") {
    const sql = await req.text();
    if (sql.trim() === "") throw new AppError(400, "invalid_input", "body: empty SQL");
    if (sql.length > MAX_SQL) throw new AppError(413, "payload_too_large", `SQL is longer than ${MAX_SQL} characters`);
    return { sql, maxRows: DEFAULT_MAX_ROWS };
  }
  throw new AppError(415, "unsupported_media_type", 'send SQL as text/plain or application/sql, or JSON {"sql": …}');
}

export const analyticsQueryRoutes = createRouter().openapi(query, async (c) => {
  const { sql, maxRows } = await sqlOf(c.req);
  const checked = checkSql(sql);
  if (!checked.ok) throw new AppError(400, checked.code, checked.message, { position: checked.position });
  const started = Date.now();
  // One row past the limit tells a full page from a truncated one; the newline ends a trailing -- comment.
  const statement = c.env.ANALYTICS_DB.prepare(`SELECT * FROM (${checked.sql}\n) LIMIT ?`).bind(maxRows + 1);
  let timer: ReturnType<typeof setTimeout> | undefined;
  const late = new Promise<"late">((resolve) => {
    timer = setTimeout(() => resolve("late"), QUERY_TIME_LIMIT_MS);
  });
  // raw() with column names: an empty result still says which columns it has.
  let result: [string[], ...unknown[][]] | "late";
  try {
    result = await Promise.race([statement.raw<unknown[]>({ columnNames: true }), late]);
  } catch (err) {
    // The guard let it through but SQLite refused it (e.g. a column that does not exist).
    throw new AppError(400, "sql_error", err instanceof Error ? err.message : String(err));
  } finally {
    clearTimeout(timer);
  }
  if (result === "late") {
    throw new AppError(504, "query_timeout", `query ran past the ${QUERY_TIME_LIMIT_MS} ms limit`);
  }
  const [columns, ...values] = result;
  const rows = values.slice(0, maxRows).map((v) => Object.fromEntries(columns.map((name, i) => [name, v[i] ?? null])));
  return c.json(
    {
      columns,
      rows,
      row_count: rows.length,
      truncated: values.length > maxRows,
      elapsed_ms: Date.now() - started,
    },
    200,
  );
});
