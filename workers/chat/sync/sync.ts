/**
 * Workspace sync (seed 003 `POST /workspace/:id/sync`): rebuilds the workspace's rolling summaries — the
 * seed's kinds weekly, blockers, plan and decisions — through the model gateway from its newest transcripts,
 * goals and checklists, all in one namespace (mode 3's `wbs` apart from `wb`). The material is bounded (the
 * newest transcripts, each message and the whole capped) so a long history costs the same as a short one.
 * Each kind replaces the previous summary of that kind only once every kind has an answer: a failed model
 * call leaves the old summaries in place. The scheduler's summary job can call `syncWorkspace` as well.
 */
import { and, desc, eq, inArray } from "drizzle-orm";
import { createDb } from "../../platform/db/client";
import { summaries, SUMMARY_TYPES, transcripts } from "../../platform/db/schema";
import type { Env } from "../../platform/env";
import type { Logger } from "../../platform/logger";
import type { ContentBlock, Deferrer, GatewayModel, ModelUsage } from "../../platform/model-port";
import { budgetMaxTier, recordTurnCost } from "../budget/budget-gate";
import { chatConfig } from "../config";
import { MemoryStore, type MemoryScope, type SummaryType } from "../memory-store";

export const SYNC_TRANSCRIPTS = 40;
export const SYNC_MESSAGE_CHARS = 500;
export const SYNC_MATERIAL_CHARS = 12_000;
export const SYNC_ITEMS = 50;

const INSTRUCTIONS: Record<SummaryType, string> = {
  weekly: "Write the weekly operations summary: what happened and what moved this week, in at most 8 short bullets.",
  blockers: "List the founder's current blockers, each with what would unblock it. Say 'none' if there are none.",
  plan: "Write the founder's current plan: the next steps in order, tied to their goals and checklists.",
  decisions: "List the decisions the founder has taken, newest first, each with its reason when known.",
};

export interface SyncDeps {
  env: Env;
  ctx: Deferrer;
  model: GatewayModel;
  log: Logger;
  traceparent: string;
}

export interface SyncedSummary {
  id: string;
  type: SummaryType;
  content: string;
  generated_at: number;
}

export interface SyncResult {
  summaries: SyncedSummary[];
  input: { transcripts: number; goals: number; checklists: number; chars: number };
  usage: ModelUsage;
  cost_usd: number | null;
}

const cap = (text: string, n: number) => (text.length > n ? `${text.slice(0, n)}…` : text);

function transcriptLines(messages: unknown[]): string[] {
  return messages.flatMap((m) => {
    if (typeof m !== "object" || m === null) return [];
    const { role, content } = m as { role?: unknown; content?: unknown };
    if ((role !== "user" && role !== "assistant") || !Array.isArray(content)) return [];
    const text = (content as ContentBlock[]).flatMap((b) => (b.type === "text" ? [b.text] : [])).join(" ");
    return text.trim() === "" ? [] : [`${role === "user" ? "Founder" : "Assistant"}: ${cap(text, SYNC_MESSAGE_CHARS)}`];
  });
}

async function material(env: Env, store: MemoryStore, scope: MemoryScope) {
  const [rows, goals, checklists] = await Promise.all([
    createDb(env.DB)
      .select({ messages: transcripts.messages, createdAt: transcripts.createdAt })
      .from(transcripts)
      .where(and(eq(transcripts.workspaceId, scope.workspaceId), eq(transcripts.namespace, scope.namespace)))
      .orderBy(desc(transcripts.createdAt))
      .limit(SYNC_TRANSCRIPTS),
    store.listGoals(),
    store.listChecklists(),
  ]);
  const goalLines = goals
    .slice(0, SYNC_ITEMS)
    .map((g) =>
      `- ${g.title ?? "(untitled)"}: ${g.currentValue ?? 0}/${g.targetValue ?? "?"} ${g.unit ?? ""}`.trimEnd(),
    );
  const checklistLines = checklists
    .slice(0, SYNC_ITEMS)
    .map(
      (c) =>
        `- ${c.title ?? "(untitled)"} (${c.progress ?? 0}% done): ${(c.items ?? []).map((i) => `${i.done ? "[x]" : "[ ]"} ${i.text}`).join("; ")}`,
    );
  // Oldest first reads as a story; the bound keeps the newest.
  const conversation = [...rows].reverse().flatMap((r) => transcriptLines(r.messages));
  const text = cap(
    [
      `Goals:\n${goalLines.join("\n") || "(none)"}`,
      `Checklists:\n${checklistLines.join("\n") || "(none)"}`,
      `Recent conversations:\n${conversation.join("\n") || "(none)"}`,
    ].join("\n\n"),
    SYNC_MATERIAL_CHARS,
  );
  return { text, counts: { transcripts: rows.length, goals: goals.length, checklists: checklists.length } };
}

export async function syncWorkspace(deps: SyncDeps, scope: MemoryScope): Promise<SyncResult> {
  const { env } = deps;
  const store = new MemoryStore(env, scope);
  const [input, maxTier] = await Promise.all([material(env, store, scope), budgetMaxTier(env, scope.workspaceId)]);
  const answers = await Promise.all(
    SUMMARY_TYPES.map((type) =>
      deps.model.complete(env, deps.ctx, {
        functionName: chatConfig(env).functionName,
        system: `You keep the rolling memory of a founder's business assistant. ${INSTRUCTIONS[type]} Use only the material given; plain text.`,
        messages: [{ role: "user", content: [{ type: "text", text: input.text }] }],
        workspace: scope.workspaceId,
        traceparent: deps.traceparent,
        caller: "chat",
        maxTier,
      }),
    ),
  );
  const usage: ModelUsage = { input_tokens: 0, output_tokens: 0 };
  let cost: number | null = null;
  for (const a of answers) {
    usage.input_tokens += a.usage.input_tokens;
    usage.output_tokens += a.usage.output_tokens;
    if (a.costUsd !== undefined) cost = (cost ?? 0) + a.costUsd;
  }
  await recordTurnCost(env, scope.workspaceId, usage, cost, deps.log, 0);
  const now = Date.now();
  const rows = SUMMARY_TYPES.map((type, i) => ({
    id: crypto.randomUUID(),
    namespace: scope.namespace,
    workspaceId: scope.workspaceId,
    type,
    content: (answers[i]?.content ?? []).flatMap((b) => (b.type === "text" ? [b.text] : [])).join(""),
    generatedAt: now,
  }));
  const db = createDb(env.DB);
  await db.batch([
    db
      .delete(summaries)
      .where(
        and(
          eq(summaries.workspaceId, scope.workspaceId),
          eq(summaries.namespace, scope.namespace),
          inArray(summaries.type, [...SUMMARY_TYPES]),
        ),
      ),
    db.insert(summaries).values(rows),
  ]);
  return {
    summaries: rows.map((r) => ({ id: r.id, type: r.type, content: r.content, generated_at: r.generatedAt })),
    input: { ...input.counts, chars: input.text.length },
    usage,
    cost_usd: cost,
  };
}
