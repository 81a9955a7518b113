/**
 * Operators' read routes over chat (scope `admin`): `GET /api/v1/chat/sessions` (sessions known from
 * transcripts, latest activity first, filtered by workspace and founder), `GET
 * /api/v1/chat/sessions/{id}/transcript` (its rows, oldest first, masked; Sovereign rows as counts only) and
 * `GET /api/v1/chat/workspaces/{id}/scheduled-jobs` (every founder's jobs in a workspace: the founder routes
 * need a founder token). All keyset-paged with the platform's opaque cursor.
 */
import { createRoute, z } from "@hono/zod-openapi";
import { eq } from "drizzle-orm";
import { requireScope } from "../../platform/auth/middleware";
import { decodeCursor, encodeCursor } from "../../platform/cursor";
import { createDb } from "../../platform/db/client";
import { scheduledJobs } from "../../platform/db/schema";
import { AppError } from "../../platform/errors";
import { bearerSecurity, errorResponses, jsonContent } from "../../platform/openapi";
import { createRouter } from "../../platform/validation";
import { readPreferences } from "../scheduler/job-store";
import { presentJob } from "../scheduler/present";
import { JobSchema } from "../scheduler/schemas";
import { WorkspaceParamSchema } from "../sync/routes";
import { listSessions, presentSession, presentTranscriptRow, sessionTranscript } from "./session-reads";

const tags = ["chat"];
const common = { tags, security: bearerSecurity, middleware: [requireScope("admin")] };
const id = z.string().min(1).max(128);

const PageQuery = {
  cursor: z.string().max(512).optional(),
  limit: z.coerce.number().int().min(1).max(200).default(50),
};

const SessionListQuery = z.object({ workspace_id: id.optional(), founder_id: id.optional(), ...PageQuery });

const ChatSessionSummarySchema = z
  .object({
    session_id: z.string(),
    workspace_id: z.string(),
    founder_id: z.string().nullable(),
    namespace: z.string(),
    surface: z.string().nullable(),
    trust_mode: z.number().int().nullable(),
    turns: z.number().int(),
    first_at: z.string(),
    last_at: z.string(),
  })
  .openapi("ChatSessionSummary");

const TranscriptRowSchema = z
  .object({
    id: z.string(),
    at: z.string(),
    surface: z.string().nullable(),
    trust_mode: z.number().int().nullable(),
    namespace: z.string(),
    message_count: z.number().int(),
    /** Sovereign (mode 3) rows: the count only, `messages` null. */
    redacted: z.boolean(),
    messages: z.array(z.unknown()).nullable(),
  })
  .openapi("ChatTranscriptRow");

const sessions = createRoute({
  ...common,
  method: "get",
  path: "/api/v1/chat/sessions",
  summary: "Chat sessions known from transcripts (founder, surface, trust mode, turns, last activity)",
  request: { query: SessionListQuery },
  responses: {
    200: {
      description: "Sessions, latest activity first",
      ...jsonContent(z.object({ sessions: z.array(ChatSessionSummarySchema), next_cursor: z.string().nullable() })),
    },
    ...errorResponses(400, 401, 403),
  },
});

const transcript = createRoute({
  ...common,
  method: "get",
  path: "/api/v1/chat/sessions/{id}/transcript",
  summary: "A session's transcript rows, oldest first (masked; Sovereign rows as counts only)",
  request: {
    params: z.object({ id: id.openapi({ param: { name: "id", in: "path" } }) }),
    query: z.object(PageQuery),
  },
  responses: {
    200: {
      description: "Transcript rows",
      ...jsonContent(
        z.object({ session_id: z.string(), rows: z.array(TranscriptRowSchema), next_cursor: z.string().nullable() }),
      ),
    },
    ...errorResponses(400, 401, 403, 404),
  },
});

const jobs = createRoute({
  ...common,
  method: "get",
  path: "/api/v1/chat/workspaces/{id}/scheduled-jobs",
  summary: "Every scheduled job of a workspace, all founders and trust modes (operators' view)",
  request: { params: WorkspaceParamSchema },
  responses: {
    200: { description: "Jobs", ...jsonContent(z.object({ jobs: z.array(JobSchema) })) },
    ...errorResponses(400, 401, 403),
  },
});

export const chatAdminRoutes = createRouter()
  .openapi(sessions, async (c) => {
    const q = c.req.valid("query");
    const rows = await listSessions(
      c.env,
      { workspaceId: q.workspace_id, founderId: q.founder_id },
      q.limit + 1,
      q.cursor === undefined ? null : decodeCursor(q.cursor),
    );
    const page = rows.slice(0, q.limit);
    const last = page.at(-1);
    const more = rows.length > q.limit && last !== undefined;
    return c.json(
      {
        sessions: page.map(presentSession),
        next_cursor: more ? encodeCursor({ ts: last.lastAt, id: last.sessionId }) : null,
      },
      200,
    );
  })
  .openapi(transcript, async (c) => {
    const { id: sessionId } = c.req.valid("param");
    const q = c.req.valid("query");
    const after = q.cursor === undefined ? null : decodeCursor(q.cursor);
    const rows = await sessionTranscript(c.env, sessionId, q.limit + 1, after);
    if (rows.length === 0 && after === null)
      throw new AppError(404, "session_not_found", `no transcript for session '${sessionId}'`);
    const page = rows.slice(0, q.limit);
    const last = page.at(-1);
    const more = rows.length > q.limit && last !== undefined;
    return c.json(
      {
        session_id: sessionId,
        rows: page.map(presentTranscriptRow),
        next_cursor: more ? encodeCursor({ ts: last.createdAt, id: last.id }) : null,
      },
      200,
    );
  })
  .openapi(jobs, async (c) => {
    const { id: workspaceId } = c.req.valid("param");
    const rows = await createDb(c.env.DB)
      .select()
      .from(scheduledJobs)
      .where(eq(scheduledJobs.workspaceId, workspaceId))
      .orderBy(scheduledJobs.founderId, scheduledJobs.createdAt)
      .limit(500);
    const zones = new Map<string, string>();
    for (const founder of new Set(rows.map((r) => r.founderId)))
      zones.set(founder, (await readPreferences(c.env, founder)).timeZone);
    return c.json({ jobs: rows.map((r) => presentJob(r, zones.get(r.founderId) ?? "UTC")) }, 200);
  });
