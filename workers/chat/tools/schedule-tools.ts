/**
 * Tools over the scheduler, so the model can schedule and cancel the founder's jobs: `list_jobs` (mode 1),
 * `schedule_job` and `cancel_job` (mode 2, they change what will be sent to the founder). They act in the
 * session's scope: its founder, workspace and namespace, at its trust mode.
 */
import { z } from "zod";
import type { Env } from "../../platform/env";
import { CronExpressionSchema } from "../scheduler/schemas";
import { createJob, deleteJob, listJobs, readPreferences, type JobScope } from "../scheduler/job-store";
import { JOB_TYPES } from "../scheduler/job-types";
import { presentJob } from "../scheduler/present";
import { defineTool, type Tool } from "./registry";

export function scheduleTools(env: Pick<Env, "DB">, scope: JobScope): Tool[] {
  return [
    defineTool({
      name: "list_jobs",
      description: "List the founder's scheduled jobs (standups, reflections, planning, summaries) with next runs",
      minTrustMode: 1,
      input: z.object({}),
      handler: async () => {
        const { timeZone } = await readPreferences(env, scope.founderId);
        return { jobs: (await listJobs(env, scope)).map((j) => presentJob(j, timeZone)) };
      },
    }),
    defineTool({
      name: "schedule_job",
      description:
        "Schedule a recurring job with a five-field cron expression in the founder's time zone: standup (daily standup), eod (end-of-day reflection), weekly (planning), monthly (recalibration), summary (rolling summary), maintenance",
      minTrustMode: 2,
      input: z.object({ type: z.enum(JOB_TYPES), schedule: CronExpressionSchema, enabled: z.boolean().default(true) }),
      handler: async (a) => {
        const { timeZone } = await readPreferences(env, scope.founderId);
        return { job: presentJob(await createJob(env, scope, a), timeZone) };
      },
    }),
    defineTool({
      name: "cancel_job",
      description: "Cancel (delete) one of the founder's scheduled jobs by its id",
      minTrustMode: 2,
      input: z.object({ id: z.string().uuid() }),
      handler: async (a) =>
        (await deleteJob(env, scope, a.id))
          ? { cancelled: a.id }
          : { error: "not_found", message: `no scheduled job ${a.id}` },
    }),
  ];
}
