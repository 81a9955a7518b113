/**
 * The chat gateway's memory store over D1 (seed 003 "Memory Store"): the business profile and stage, goals,
 * checklists with progress, rolling summaries and transcripts. Every read and write is confined to one
 * workspace in one namespace (`wb` for modes 0–2, `wbs` for mode 3), so Sovereign data never reaches a
 * lower-mode session and the reverse.
 */
import { and, desc, eq } from "drizzle-orm";
import { createDb, type Db } from "../platform/db/client";
import { checklists, goals, summaries, transcripts, workspaces, type SUMMARY_TYPES } from "../platform/db/schema";
import type { Env } from "../platform/env";

export interface MemoryScope {
  founderId: string;
  workspaceId: string;
  namespace: "wb" | "wbs";
}

export type SummaryType = (typeof SUMMARY_TYPES)[number];
export type Stage = "idea" | "launch" | "growth";

export interface ChecklistItem {
  text: string;
  done: boolean;
}

/** Percent done with two decimals, the seed's DECIMAL(5,2). */
export function progressOf(items: readonly ChecklistItem[]): number {
  if (items.length === 0) return 0;
  return Math.round((items.filter((i) => i.done).length / items.length) * 10_000) / 100;
}

export class MemoryStore {
  private readonly db: Db;
  constructor(
    env: Pick<Env, "DB">,
    private readonly scope: MemoryScope,
    private readonly clock: () => number = () => Date.now(),
  ) {
    this.db = createDb(env.DB);
  }

  private ws() {
    return and(eq(workspaces.id, this.scope.workspaceId), eq(workspaces.namespace, this.scope.namespace));
  }

  async profile() {
    const row = (await this.db.select().from(workspaces).where(this.ws()).limit(1))[0];
    if (row && row.founderId !== this.scope.founderId) return null;
    return {
      workspace_id: this.scope.workspaceId,
      name: row?.name ?? null,
      stage: row?.stage ?? null,
      profile: row?.profile ?? {},
      updated_at: row?.updatedAt ?? null,
    };
  }

  /** Creates the workspace on first write; null when it belongs to another founder. */
  async updateProfile(change: {
    name?: string | undefined;
    stage?: Stage | undefined;
    profile?: Record<string, unknown> | undefined;
  }) {
    const current = await this.profile();
    if (!current) return null;
    const now = this.clock();
    const next = {
      name: change.name ?? current.name,
      stage: change.stage ?? current.stage,
      profile: { ...current.profile, ...change.profile },
    };
    await this.db
      .insert(workspaces)
      .values({
        id: this.scope.workspaceId,
        namespace: this.scope.namespace,
        founderId: this.scope.founderId,
        ...next,
        createdAt: now,
        updatedAt: now,
      })
      .onConflictDoUpdate({ target: [workspaces.id, workspaces.namespace], set: { ...next, updatedAt: now } });
    return this.profile();
  }

  async listGoals() {
    return this.db
      .select()
      .from(goals)
      .where(and(eq(goals.workspaceId, this.scope.workspaceId), eq(goals.namespace, this.scope.namespace)))
      .orderBy(goals.createdAt);
  }

  async createGoal(g: {
    title: string;
    target_value?: number | undefined;
    current_value?: number | undefined;
    unit?: string | undefined;
    deadline?: string | undefined;
  }) {
    const row = {
      id: crypto.randomUUID(),
      namespace: this.scope.namespace,
      workspaceId: this.scope.workspaceId,
      title: g.title,
      targetValue: g.target_value ?? null,
      currentValue: g.current_value ?? 0,
      unit: g.unit ?? null,
      deadline: g.deadline ?? null,
      createdAt: this.clock(),
    };
    await this.db.insert(goals).values(row);
    return row;
  }

  async updateGoal(
    id: string,
    change: {
      title?: string | undefined;
      target_value?: number | undefined;
      current_value?: number | undefined;
      unit?: string | undefined;
      deadline?: string | undefined;
    },
  ) {
    const where = and(
      eq(goals.id, id),
      eq(goals.workspaceId, this.scope.workspaceId),
      eq(goals.namespace, this.scope.namespace),
    );
    const set = {
      ...(change.title === undefined ? {} : { title: change.title }),
      ...(change.target_value === undefined ? {} : { targetValue: change.target_value }),
      ...(change.current_value === undefined ? {} : { currentValue: change.current_value }),
      ...(change.unit === undefined ? {} : { unit: change.unit }),
      ...(change.deadline === undefined ? {} : { deadline: change.deadline }),
    };
    if (Object.keys(set).length > 0) await this.db.update(goals).set(set).where(where);
    return (await this.db.select().from(goals).where(where).limit(1))[0] ?? null;
  }

  async listChecklists() {
    return this.db
      .select()
      .from(checklists)
      .where(and(eq(checklists.workspaceId, this.scope.workspaceId), eq(checklists.namespace, this.scope.namespace)))
      .orderBy(desc(checklists.priority), checklists.createdAt);
  }

  async createChecklist(c: {
    title: string;
    items: string[];
    priority?: number | undefined;
    due_date?: string | undefined;
  }) {
    const items = c.items.map((text) => ({ text, done: false }));
    const row = {
      id: crypto.randomUUID(),
      namespace: this.scope.namespace,
      workspaceId: this.scope.workspaceId,
      title: c.title,
      items,
      priority: c.priority ?? 0,
      progress: progressOf(items),
      dueDate: c.due_date ?? null,
      createdAt: this.clock(),
    };
    await this.db.insert(checklists).values(row);
    return row;
  }

  /** Marks one item done or not and recomputes the checklist's progress; null when either is missing. */
  async setChecklistItem(id: string, index: number, done: boolean) {
    const where = and(
      eq(checklists.id, id),
      eq(checklists.workspaceId, this.scope.workspaceId),
      eq(checklists.namespace, this.scope.namespace),
    );
    const row = (await this.db.select().from(checklists).where(where).limit(1))[0];
    const items = row?.items ?? [];
    const item = items[index];
    if (!row || !item) return null;
    const next = items.map((it, i) => (i === index ? { ...it, done } : it));
    const progress = progressOf(next);
    await this.db.update(checklists).set({ items: next, progress }).where(where);
    return { ...row, items: next, progress };
  }

  async readSummaries(type?: SummaryType) {
    const base = [eq(summaries.workspaceId, this.scope.workspaceId), eq(summaries.namespace, this.scope.namespace)];
    return this.db
      .select()
      .from(summaries)
      .where(and(...base, ...(type === undefined ? [] : [eq(summaries.type, type)])))
      .orderBy(desc(summaries.generatedAt))
      .limit(20);
  }

  async recordTurn(sessionId: string, surface: string, messages: unknown[], trustMode: number): Promise<void> {
    await this.db.insert(transcripts).values({
      id: crypto.randomUUID(),
      namespace: this.scope.namespace,
      sessionId,
      workspaceId: this.scope.workspaceId,
      surface,
      messages,
      createdAt: this.clock(),
      founderId: this.scope.founderId,
      trustMode,
    });
  }
}
