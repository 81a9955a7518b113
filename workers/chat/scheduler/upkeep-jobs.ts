/**
 * The scheduler's two jobs without a prompt. `summary` folds the workspace's transcripts since the last run
 * (at most a week back) and the previous rolling summary into a new `weekly` summary through the model
 * gateway. `maintenance` prunes what has expired for the founder: summaries past the newest
 * SUMMARIES_KEPT of each type (nothing reads further back) and answered inbound SMS rows older than a week
 * (Twilio's webhook retries, which they de-duplicate, are long over by then).
 */
import { and, desc, eq, gte, inArray, isNotNull, lt, notInArray } from "drizzle-orm";
import { createDb } from "../../platform/db/client";
import { phoneBindings, smsInbound, summaries, SUMMARY_TYPES, transcripts } from "../../platform/db/schema";
import type { ContentBlock } from "../../platform/model-port";
import { chatConfig } from "../config";
import { deferredWork } from "../deferred-work";
import type { JobRow } from "./job-store";
import type { JobDeps } from "./prompt-job";

const WEEK_MS = 7 * 24 * 3_600_000;
const TRANSCRIPT_ROWS = 200;
const FOLD_CHARS = 24_000;
export const SUMMARIES_KEPT = 20;

function textOf(messages: unknown[]): string {
  const lines: string[] = [];
  for (const m of messages) {
    if (typeof m !== "object" || m === null) continue;
    const { role, content } = m as { role?: unknown; content?: unknown };
    if (!Array.isArray(content)) continue;
    const text = (content as ContentBlock[]).flatMap((b) => (b.type === "text" ? [b.text] : [])).join("");
    if (text && (role === "user" || role === "assistant")) lines.push(`${role}: ${text}`);
  }
  return lines.join("\n");
}

/** The new summary's id, or null when nothing was said since the last run. */
export async function runSummaryJob(job: JobRow, now: number, deps: JobDeps): Promise<string | null> {
  const db = createDb(deps.env.DB);
  const ws = and(eq(transcripts.workspaceId, job.workspaceId), eq(transcripts.namespace, job.namespace));
  const since = Math.max(job.lastRun ?? 0, now - WEEK_MS);
  const rows = await db
    .select({ messages: transcripts.messages })
    .from(transcripts)
    .where(and(ws, gte(transcripts.createdAt, since), lt(transcripts.createdAt, now)))
    .orderBy(transcripts.createdAt)
    .limit(TRANSCRIPT_ROWS);
  const said = rows
    .map((r) => textOf(r.messages))
    .filter(Boolean)
    .join("\n")
    .slice(-FOLD_CHARS);
  if (!said) return null;
  const [previous] = await db
    .select({ content: summaries.content })
    .from(summaries)
    .where(
      and(
        eq(summaries.workspaceId, job.workspaceId),
        eq(summaries.namespace, job.namespace),
        eq(summaries.type, "weekly"),
      ),
    )
    .orderBy(desc(summaries.generatedAt))
    .limit(1);
  const ctx = deferredWork();
  try {
    const answer = await deps.model.complete(deps.env, ctx, {
      functionName: chatConfig(deps.env).functionName,
      workspace: job.workspaceId,
      traceparent: deps.traceparent,
      caller: "chat",
      system:
        "You keep a founder's rolling weekly summary. Fold the new conversation into the previous summary: progress, blockers, plans and decisions, in at most 12 short lines. Answer with the summary only.",
      messages: [
        {
          role: "user",
          content: [
            { type: "text", text: `Previous summary:\n${previous?.content ?? "(none)"}\n\nNew conversation:\n${said}` },
          ],
        },
      ],
    });
    const content = answer.content.flatMap((b) => (b.type === "text" ? [b.text] : [])).join("");
    const id = crypto.randomUUID();
    await db.insert(summaries).values({
      id,
      namespace: job.namespace,
      workspaceId: job.workspaceId,
      type: "weekly",
      content,
      generatedAt: now,
    });
    return id;
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
