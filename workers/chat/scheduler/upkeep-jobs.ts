/**
 * The scheduler's two jobs without a prompt. `summary` rebuilds the workspace's rolling summaries (weekly,
 * blockers, plan, decisions) through the workspace sync. `maintenance` prunes what has expired for the founder: summaries past the newest
 * SUMMARIES_KEPT of each type (nothing reads further back) and answered inbound SMS rows older than a week
 * (Twilio's webhook retries, which they de-duplicate, are long over by then).
 */
import { and, desc, eq, inArray, isNotNull, lt, notInArray } from "drizzle-orm";
import { createDb } from "../../platform/db/client";
import { phoneBindings, smsInbound, summaries, SUMMARY_TYPES } from "../../platform/db/schema";
import { deferredWork } from "../deferred-work";
import { syncWorkspace } from "../sync/sync";
import type { JobRow } from "./job-store";
import type { JobDeps } from "./prompt-job";

const WEEK_MS = 7 * 24 * 3_600_000;
export const SUMMARIES_KEPT = 20;

/**
 * Rolling summary generation is the workspace sync (`POST /workspace/:id/sync`) on a schedule: one way to
 * rebuild the summaries. The ids of the new summaries.
 */
export async function runSummaryJob(job: JobRow, deps: JobDeps): Promise<string[]> {
  const ctx = deferredWork();
  try {
    const scope = { founderId: job.founderId, workspaceId: job.workspaceId, namespace: job.namespace };
    const synced = await syncWorkspace({ ...deps, ctx }, scope);
    return synced.summaries.map((s) => s.id);
  } finally {
    await ctx.settle();
  }
}

export interface Pruned {
  summaries: number;
  sms_inbound: number;
}

export async function runMaintenanceJob(job: JobRow, now: number, deps: JobDeps): Promise<Pruned> {
  const db = createDb(deps.env.DB);
  let prunedSummaries = 0;
  for (const type of SUMMARY_TYPES) {
    const mine = and(
      eq(summaries.workspaceId, job.workspaceId),
      eq(summaries.namespace, job.namespace),
      eq(summaries.type, type),
    );
    const kept = await db
      .select({ id: summaries.id })
      .from(summaries)
      .where(mine)
      .orderBy(desc(summaries.generatedAt))
      .limit(SUMMARIES_KEPT);
    if (kept.length < SUMMARIES_KEPT) continue;
    const gone = await db
      .delete(summaries)
      .where(
        and(
          mine,
          notInArray(
            summaries.id,
            kept.map((k) => k.id),
          ),
        ),
      )
      .returning({ id: summaries.id });
    prunedSummaries += gone.length;
  }
  const phones = (
    await db.select({ phone: phoneBindings.phone }).from(phoneBindings).where(eq(phoneBindings.userId, job.founderId))
  ).map((p) => p.phone);
  const sms =
    phones.length === 0
      ? []
      : await db
          .delete(smsInbound)
          .where(
            and(inArray(smsInbound.phone, phones), isNotNull(smsInbound.sentAt), lt(smsInbound.sentAt, now - WEEK_MS)),
          )
          .returning({ sid: smsInbound.messageSid });
  return { summaries: prunedSummaries, sms_inbound: sms.length };
}
