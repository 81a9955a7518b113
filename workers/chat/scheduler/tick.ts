/**
 * The scheduler's part of the Cron Trigger tick: every enabled job whose `next_run` is at or before the tick
 * time is claimed and run. The claim is one conditional UPDATE that moves `next_run` to the first firing after
 * the tick (in the founder's time zone) and only succeeds while `next_run` still holds the value this tick
 * read — so two overlapping ticks never both run a job, and a job that missed several ticks (the Worker was
 * down) runs once for all of them, then waits for its next time. A job that fails is logged and not retried:
 * its next run is the next due time.
 */
import { and, asc, eq, isNotNull, lte } from "drizzle-orm";
import { createDb } from "../../platform/db/client";
import { scheduledJobs } from "../../platform/db/schema";
import type { Env } from "../../platform/env";
import type { Logger } from "../../platform/logger";
import type { GatewayModel } from "../../platform/model-port";
import { nextRunAfter } from "./cron";
import { readPreferences, type JobRow } from "./job-store";
import { isPromptJob } from "./job-types";
import { runPromptJob, type JobDeps } from "./prompt-job";
import { runMaintenanceJob, runSummaryJob } from "./upkeep-jobs";

/** Jobs run one after another; more than this many due at once wait for the next tick. */
const JOBS_PER_TICK = 25;

export interface TickReport {
  due: number;
  ran: number;
  failed: number;
  /** Due jobs another tick had already claimed. */
  skipped: number;
}

/** Moves the job's next run past the tick, if no other tick did; the claimed row (previous last_run), or null. */
async function claim(env: Pick<Env, "DB">, job: JobRow, tickTime: number): Promise<JobRow | null> {
  if (job.nextRun === null || job.schedule === null) return null;
  const { timeZone } = await readPreferences(env, job.founderId);
  const next = nextRunAfter(job.schedule, timeZone, tickTime);
  const won = await createDb(env.DB)
    .update(scheduledJobs)
    .set({ nextRun: next, lastRun: tickTime })
    .where(and(eq(scheduledJobs.id, job.id), eq(scheduledJobs.enabled, true), eq(scheduledJobs.nextRun, job.nextRun)))
    .returning({ id: scheduledJobs.id });
  return won.length === 1 ? job : null;
}

async function runOne(job: JobRow, tickTime: number, deps: JobDeps): Promise<Record<string, unknown>> {
  const type = job.type;
  if (type === null) return { skipped: "no type" };
  if (isPromptJob(type)) return { ...(await runPromptJob(job, type, deps)) };
  if (type === "summary") return { summary_ids: await runSummaryJob(job, deps) };
  return { pruned: await runMaintenanceJob(job, tickTime, deps) };
}

export async function runDueJobs(
  env: Env,
  model: GatewayModel,
  tickTime: number,
  log: Logger,
  traceparent = "",
): Promise<TickReport> {
  const due = await createDb(env.DB)
    .select()
    .from(scheduledJobs)
    .where(and(eq(scheduledJobs.enabled, true), isNotNull(scheduledJobs.nextRun), lte(scheduledJobs.nextRun, tickTime)))
    .orderBy(asc(scheduledJobs.nextRun), asc(scheduledJobs.id))
    .limit(JOBS_PER_TICK);
  const report: TickReport = { due: due.length, ran: 0, failed: 0, skipped: 0 };
  for (const row of due) {
    const job = await claim(env, row, tickTime);
    if (!job) {
      report.skipped += 1;
      continue;
    }
    const fields = { job_id: job.id, type: job.type, due: new Date(job.nextRun ?? tickTime).toISOString() };
    try {
      const outcome = await runOne(job, tickTime, { env, model, log, traceparent });
      report.ran += 1;
      log.info("scheduled job ran", { ...fields, ...outcome });
    } catch (err) {
      report.failed += 1;
      log.error("scheduled job failed", { ...fields, error: err instanceof Error ? err.message : String(err) });
    }
  }
  return report;
}
