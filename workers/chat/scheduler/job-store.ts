/**
 * The founder's scheduled jobs and scheduler preferences in D1 (`scheduled_jobs`, `chat_founder_preferences`).
 * Every job read or write is confined to one founder's workspace in one namespace, as the memory store is:
 * jobs made at mode 3 (`wbs`) are invisible to lower-mode callers and the reverse. `next_run` is recomputed in
 * the founder's time zone whenever the schedule, the enabled flag or the zone changes.
 */
import { and, eq } from "drizzle-orm";
import { createDb } from "../../platform/db/client";
import { chatFounderPreferences, scheduledJobs, type PROMPT_SURFACES } from "../../platform/db/schema";
import type { Env } from "../../platform/env";
import type { TrustMode } from "../surfaces";
import { nextRunAfter } from "./cron";
import type { JobType } from "./job-types";

export type JobRow = typeof scheduledJobs.$inferSelect;
export type PromptSurface = (typeof PROMPT_SURFACES)[number];

export interface JobScope {
  founderId: string;
  workspaceId: string;
  namespace: "wb" | "wbs";
  /** The trust mode the job's turns open at (the caller's, at most its ceiling). */
  trustMode: TrustMode;
}

export interface Preferences {
  timeZone: string;
  promptSurface: PromptSurface;
  updatedAt: number | null;
}

export interface JobChange {
  type?: JobType | undefined;
  schedule?: string | undefined;
  enabled?: boolean | undefined;
}

const LIST_LIMIT = 200;

export async function readPreferences(env: Pick<Env, "DB">, founderId: string): Promise<Preferences> {
  const [row] = await createDb(env.DB)
    .select()
    .from(chatFounderPreferences)
    .where(eq(chatFounderPreferences.founderId, founderId))
    .limit(1);
  return row
    ? { timeZone: row.timeZone, promptSurface: row.promptSurface, updatedAt: row.updatedAt }
    : { timeZone: "UTC", promptSurface: "web", updatedAt: null };
}

function nextOf(schedule: string | null, enabled: boolean, timeZone: string, now: number): number | null {
  return enabled && schedule !== null ? nextRunAfter(schedule, timeZone, now) : null;
}

/** Stores the preferences; a new time zone moves the next run of every enabled job of the founder. */
export async function writePreferences(
  env: Pick<Env, "DB">,
  founderId: string,
  change: { timeZone?: string | undefined; promptSurface?: PromptSurface | undefined },
  now = Date.now(),
): Promise<Preferences> {
  const before = await readPreferences(env, founderId);
  const next = {
    timeZone: change.timeZone ?? before.timeZone,
    promptSurface: change.promptSurface ?? before.promptSurface,
  };
  const db = createDb(env.DB);
  await db
    .insert(chatFounderPreferences)
    .values({ founderId, ...next, updatedAt: now })
    .onConflictDoUpdate({ target: chatFounderPreferences.founderId, set: { ...next, updatedAt: now } });
  if (next.timeZone !== before.timeZone) {
    const jobs = await db.select().from(scheduledJobs).where(eq(scheduledJobs.founderId, founderId));
    for (const job of jobs)
      await db
        .update(scheduledJobs)
        .set({ nextRun: nextOf(job.schedule, job.enabled, next.timeZone, now), updatedAt: now })
        .where(eq(scheduledJobs.id, job.id));
  }
  return { ...next, updatedAt: now };
}

function scoped(scope: JobScope, id?: string) {
  return and(
    eq(scheduledJobs.founderId, scope.founderId),
    eq(scheduledJobs.workspaceId, scope.workspaceId),
    eq(scheduledJobs.namespace, scope.namespace),
    ...(id === undefined ? [] : [eq(scheduledJobs.id, id)]),
  );
}

export async function listJobs(env: Pick<Env, "DB">, scope: JobScope): Promise<JobRow[]> {
  return createDb(env.DB)
    .select()
    .from(scheduledJobs)
    .where(scoped(scope))
    .orderBy(scheduledJobs.createdAt, scheduledJobs.id)
    .limit(LIST_LIMIT);
}

export async function getJob(env: Pick<Env, "DB">, scope: JobScope, id: string): Promise<JobRow | null> {
  const [row] = await createDb(env.DB).select().from(scheduledJobs).where(scoped(scope, id)).limit(1);
  return row ?? null;
}

export async function createJob(
  env: Pick<Env, "DB">,
  scope: JobScope,
  input: { type: JobType; schedule: string; enabled: boolean },
  now = Date.now(),
): Promise<JobRow> {
  const { timeZone } = await readPreferences(env, scope.founderId);
  const row: JobRow = {
    id: crypto.randomUUID(),
    founderId: scope.founderId,
    type: input.type,
    schedule: input.schedule.trim(),
    enabled: input.enabled,
    lastRun: null,
    nextRun: nextOf(input.schedule, input.enabled, timeZone, now),
    namespace: scope.namespace,
    workspaceId: scope.workspaceId,
    trustMode: scope.trustMode,
    sessionId: null,
    createdAt: now,
    updatedAt: now,
  };
  await createDb(env.DB).insert(scheduledJobs).values(row);
  return row;
}

/** Null when the job is not the caller's (or not in its namespace). */
export async function updateJob(
  env: Pick<Env, "DB">,
  scope: JobScope,
  id: string,
  change: JobChange,
  now = Date.now(),
): Promise<JobRow | null> {
  const before = await getJob(env, scope, id);
  if (!before) return null;
  const { timeZone } = await readPreferences(env, scope.founderId);
  const schedule = change.schedule?.trim() ?? before.schedule;
  const enabled = change.enabled ?? before.enabled;
  const set = {
    type: change.type ?? before.type,
    schedule,
    enabled,
    nextRun: nextOf(schedule, enabled, timeZone, now),
    updatedAt: now,
  };
  await createDb(env.DB).update(scheduledJobs).set(set).where(scoped(scope, id));
  return { ...before, ...set };
}

export async function deleteJob(env: Pick<Env, "DB">, scope: JobScope, id: string): Promise<boolean> {
  const gone = await createDb(env.DB)
    .delete(scheduledJobs)
    .where(scoped(scope, id))
    .returning({ id: scheduledJobs.id });
  return gone.length > 0;
}
