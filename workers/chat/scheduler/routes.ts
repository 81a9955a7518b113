/**
 * The scheduler's routes for a founder (JWT as `/chat`; `chat:read` to read, `chat:write` to change):
 * `GET/POST /api/v1/chat/scheduled-jobs`, `GET/PATCH/DELETE /api/v1/chat/scheduled-jobs/{id}` and
 * `GET/PUT /api/v1/chat/preferences` (the time zone schedules are read in, the surface prompts go to).
 * Jobs are scoped like the memory store: the token's founder and workspace, and the namespace of the trust
 * mode acted at (`trust_mode`, default the ceiling) — Sovereign (mode 3) jobs are invisible below mode 3.
 */
import { createRoute, z } from "@hono/zod-openapi";
import type { Context } from "hono";
import type { AppEnv } from "../../platform/app-env";
import type { Scope } from "../../platform/auth/scopes";
import { AppError } from "../../platform/errors";
import { bearerSecurity, errorResponses, jsonContent } from "../../platform/openapi";
import { createRouter } from "../../platform/validation";
import { admit, chatAuth } from "../enforcer";
import { namespaceOf, type Surface, type TrustMode } from "../surfaces";
import {
  createJob,
  deleteJob,
  getJob,
  listJobs,
  readPreferences,
  updateJob,
  writePreferences,
  type JobScope,
  type Preferences,
} from "./job-store";
import { presentJob } from "./present";
import {
  JobCreateSchema,
  JobParamSchema,
  JobPatchSchema,
  JobQuerySchema,
  JobSchema,
  PreferencesBodySchema,
  PreferencesSchema,
} from "./schemas";

const tags = ["chat"];
const JOBS = "/api/v1/chat/scheduled-jobs";
const PREFERENCES = "/api/v1/chat/preferences";

function route<M extends "get" | "post" | "patch" | "delete" | "put">(method: M, path: string, scope: Scope) {
  return { method, path, tags, security: bearerSecurity, middleware: [chatAuth(scope)] };
}

const list = createRoute({
  ...route("get", JOBS, "chat:read"),
  summary: "The founder's scheduled jobs (in the namespace of the trust mode acted at)",
  request: { query: JobQuerySchema },
  responses: {
    200: { description: "Jobs", ...jsonContent(z.object({ jobs: z.array(JobSchema) })) },
    ...errorResponses(400, 401, 403),
  },
});

const create = createRoute({
  ...route("post", JOBS, "chat:write"),
  summary: "Schedule a job (standup, eod, weekly, monthly, summary, maintenance) with a cron expression",
  request: { query: JobQuerySchema, body: { required: true, ...jsonContent(JobCreateSchema) } },
  responses: { 201: { description: "Scheduled", ...jsonContent(JobSchema) }, ...errorResponses(400, 401, 403, 415) },
});

const read = createRoute({
  ...route("get", `${JOBS}/{id}`, "chat:read"),
  summary: "One scheduled job",
  request: { params: JobParamSchema, query: JobQuerySchema },
  responses: { 200: { description: "The job", ...jsonContent(JobSchema) }, ...errorResponses(400, 401, 403, 404) },
});

const patch = createRoute({
  ...route("patch", `${JOBS}/{id}`, "chat:write"),
  summary: "Change a job's type, schedule or enabled flag (next_run is recomputed)",
  request: { params: JobParamSchema, query: JobQuerySchema, body: { required: true, ...jsonContent(JobPatchSchema) } },
  responses: {
    200: { description: "The job", ...jsonContent(JobSchema) },
    ...errorResponses(400, 401, 403, 404, 415),
  },
});

const remove = createRoute({
  ...route("delete", `${JOBS}/{id}`, "chat:write"),
  summary: "Cancel (delete) a scheduled job",
  request: { params: JobParamSchema, query: JobQuerySchema },
  responses: { 204: { description: "Cancelled" }, ...errorResponses(400, 401, 403, 404) },
});

const getPrefs = createRoute({
  ...route("get", PREFERENCES, "chat:read"),
  summary: "The founder's scheduler preferences: time zone and the surface prompts go to",
  request: { query: JobQuerySchema.pick({ surface: true }) },
  responses: {
    200: { description: "Preferences", ...jsonContent(PreferencesSchema) },
    ...errorResponses(400, 401, 403),
  },
});

const putPrefs = createRoute({
  ...route("put", PREFERENCES, "chat:write"),
  summary: "Set the founder's time zone (IANA) and/or prompt surface (sms or web)",
  request: {
    query: JobQuerySchema.pick({ surface: true }),
    body: { required: true, ...jsonContent(PreferencesBodySchema) },
  },
  responses: {
    200: { description: "Preferences", ...jsonContent(PreferencesSchema) },
    ...errorResponses(400, 401, 403, 415),
  },
});

/** Admits the caller and returns the scope its jobs live in. */
async function jobScope(
  c: Context<AppEnv>,
  scope: Scope,
  query: { surface: Surface; trust_mode?: number | undefined },
): Promise<JobScope> {
  const admitted = await admit(c, scope, query.surface, (query.trust_mode ?? 0) as TrustMode);
  const mode = (query.trust_mode ?? admitted.ceiling) as TrustMode;
  return {
    founderId: admitted.caller.founderId,
    workspaceId: admitted.caller.workspaceId,
    namespace: namespaceOf(mode),
    trustMode: mode,
  };
}

const notFound = () => new AppError(404, "scheduled_job_not_found", "no such scheduled job");
const presentPrefs = (p: Preferences) => ({
  time_zone: p.timeZone,
  prompt_surface: p.promptSurface,
  updated_at: p.updatedAt === null ? null : new Date(p.updatedAt).toISOString(),
});

export const schedulerRoutes = createRouter()
  .openapi(list, async (c) => {
    const scope = await jobScope(c, "chat:read", c.req.valid("query"));
    const { timeZone } = await readPreferences(c.env, scope.founderId);
    return c.json({ jobs: (await listJobs(c.env, scope)).map((j) => presentJob(j, timeZone)) }, 200);
  })
  .openapi(create, async (c) => {
    const body = c.req.valid("json");
    const scope = await jobScope(c, "chat:write", c.req.valid("query"));
    const row = await createJob(c.env, scope, body);
    const { timeZone } = await readPreferences(c.env, scope.founderId);
    return c.json(presentJob(row, timeZone), 201);
  })
  .openapi(read, async (c) => {
    const scope = await jobScope(c, "chat:read", c.req.valid("query"));
    const row = await getJob(c.env, scope, c.req.valid("param").id);
    if (!row) throw notFound();
    return c.json(presentJob(row, (await readPreferences(c.env, scope.founderId)).timeZone), 200);
  })
  .openapi(patch, async (c) => {
    const body = c.req.valid("json");
    const scope = await jobScope(c, "chat:write", c.req.valid("query"));
    const row = await updateJob(c.env, scope, c.req.valid("param").id, body);
    if (!row) throw notFound();
    return c.json(presentJob(row, (await readPreferences(c.env, scope.founderId)).timeZone), 200);
  })
  .openapi(remove, async (c) => {
    const scope = await jobScope(c, "chat:write", c.req.valid("query"));
    if (!(await deleteJob(c.env, scope, c.req.valid("param").id))) throw notFound();
    return c.body(null, 204);
  })
  .openapi(getPrefs, async (c) => {
    const { caller } = await admit(c, "chat:read", c.req.valid("query").surface);
    return c.json(presentPrefs(await readPreferences(c.env, caller.founderId)), 200);
  })
  .openapi(putPrefs, async (c) => {
    const body = c.req.valid("json");
    const { caller } = await admit(c, "chat:write", c.req.valid("query").surface);
    const prefs = await writePreferences(c.env, caller.founderId, {
      timeZone: body.time_zone,
      promptSurface: body.prompt_surface,
    });
    return c.json(presentPrefs(prefs), 200);
  });
