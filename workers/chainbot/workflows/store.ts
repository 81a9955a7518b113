/**
 * The workflow store in D1: create (version 1), new versions on update, soft delete, keyset-paged list, and
 * `loadWorkflowVersion`, the snapshot an execution pins. Versions are inserted, never updated; a version
 * number is taken by inserting its row, so two concurrent updates cannot both become version n+1.
 */
import { and, desc, eq, isNull, lt, or } from "drizzle-orm";
import { createDb } from "../../platform/db/client";
import { chainbotWorkflows, chainbotWorkflowVersions } from "../../platform/db/schema";
import type { Env } from "../../platform/env";
import { fail, type Result } from "../../platform/errors";
import { WorkflowDefinitionSchema, type WorkflowDefinition } from "./definition-schema";

type WorkflowRow = typeof chainbotWorkflows.$inferSelect;
type DbEnv = Pick<Env, "DB">;

/** One version of a workflow as an execution sees it. */
export interface WorkflowSnapshot {
  id: string;
  version: number;
  latestVersion: number;
  definition: WorkflowDefinition;
  createdBy: string;
  createdAt: number;
  updatedAt: number;
  versionCreatedBy: string;
  versionCreatedAt: number;
  deletedAt: number | null;
}

export interface WorkflowSummary {
  id: string;
  name: string;
  description: string | null;
  latestVersion: number;
  createdBy: string;
  createdAt: number;
  updatedAt: number;
}

function notFound(id: string) {
  return fail(404, "workflow_not_found", `no workflow '${id}'`, { id });
}

export async function createWorkflow(
  env: DbEnv,
  definition: WorkflowDefinition,
  createdBy: string,
): Promise<WorkflowSnapshot> {
  const db = createDb(env.DB);
  const id = crypto.randomUUID();
  const now = Date.now();
  await db.batch([
    db.insert(chainbotWorkflows).values({
      id,
      name: definition.name,
      description: definition.description ?? null,
      latestVersion: 1,
      createdBy,
      createdAt: now,
      updatedAt: now,
    }),
    db
      .insert(chainbotWorkflowVersions)
      .values({ workflowId: id, version: 1, definition: JSON.stringify(definition), createdBy, createdAt: now }),
  ]);
  return {
    id,
    version: 1,
    latestVersion: 1,
    definition,
    createdBy,
    createdAt: now,
    updatedAt: now,
    versionCreatedBy: createdBy,
    versionCreatedAt: now,
    deletedAt: null,
  };
}

/** Stores `definition` as the next version. 404 for an unknown or deleted workflow, 409 if another won. */
export async function updateWorkflow(
  env: DbEnv,
  id: string,
  definition: WorkflowDefinition,
  updatedBy: string,
): Promise<Result<{ snapshot: WorkflowSnapshot }>> {
  const db = createDb(env.DB);
  const row = await db.select().from(chainbotWorkflows).where(eq(chainbotWorkflows.id, id)).get();
  if (!row || row.deletedAt !== null) return notFound(id);
  const version = row.latestVersion + 1;
  const now = Date.now();
  try {
    await db.batch([
      db.insert(chainbotWorkflowVersions).values({
        workflowId: id,
        version,
        definition: JSON.stringify(definition),
        createdBy: updatedBy,
        createdAt: now,
      }),
      db
        .update(chainbotWorkflows)
        .set({
          latestVersion: version,
          name: definition.name,
          description: definition.description ?? null,
          updatedAt: now,
        })
        .where(and(eq(chainbotWorkflows.id, id), eq(chainbotWorkflows.latestVersion, row.latestVersion))),
    ]);
  } catch (err) {
    // The batch is one transaction: a concurrent update that took this version number rolls it all back.
    if (String(err).includes("UNIQUE constraint failed"))
      return fail(409, "version_conflict", `workflow '${id}' was updated concurrently; retry`, { id });
    throw err;
  }
  const snapshot: WorkflowSnapshot = {
    id,
    version,
    latestVersion: version,
    definition,
    createdBy: row.createdBy,
    createdAt: row.createdAt,
    updatedAt: now,
    versionCreatedBy: updatedBy,
    versionCreatedAt: now,
    deletedAt: null,
  };
  return { ok: true, snapshot };
}

/** Soft delete: the workflow disappears from list and get; its versions stay for executions pinned to them. */
export async function deleteWorkflow(env: DbEnv, id: string): Promise<Result<{ deletedAt: number }>> {
  const db = createDb(env.DB);
  const now = Date.now();
  const done = await db
    .update(chainbotWorkflows)
    .set({ deletedAt: now, updatedAt: now })
    .where(and(eq(chainbotWorkflows.id, id), isNull(chainbotWorkflows.deletedAt)))
    .returning({ id: chainbotWorkflows.id });
  return done.length === 1 ? { ok: true, deletedAt: now } : notFound(id);
}

export interface LoadOptions {
  /** Also load versions of a deleted workflow (an execution that started before the delete). */
  includeDeleted?: boolean;
}

/**
 * The definition snapshot of one version (the latest when `version` is omitted), for the execution engine
 * to pin. A deleted workflow is `workflow_deleted` (409) unless `includeDeleted`; unknown ids and versions
 * are 404s.
 */
export async function loadWorkflowVersion(
  env: DbEnv,
  id: string,
  version?: number,
  options: LoadOptions = {},
): Promise<Result<{ snapshot: WorkflowSnapshot }>> {
  const db = createDb(env.DB);
  const row = await db.select().from(chainbotWorkflows).where(eq(chainbotWorkflows.id, id)).get();
  if (!row) return notFound(id);
  if (row.deletedAt !== null && !options.includeDeleted)
    return fail(409, "workflow_deleted", `workflow '${id}' was deleted`, { id });
  const wanted = version ?? row.latestVersion;
  const ver = await db
    .select()
    .from(chainbotWorkflowVersions)
    .where(and(eq(chainbotWorkflowVersions.workflowId, id), eq(chainbotWorkflowVersions.version, wanted)))
    .get();
  if (!ver)
    return fail(404, "workflow_version_not_found", `workflow '${id}' has no version ${wanted}`, {
      id,
      version: wanted,
      latest_version: row.latestVersion,
    });
  // Stored definitions passed this schema when written; parsing again keeps the type honest.
  const definition = WorkflowDefinitionSchema.parse(JSON.parse(ver.definition));
  return {
    ok: true,
    snapshot: {
      id,
      version: wanted,
      latestVersion: row.latestVersion,
      definition,
      createdBy: row.createdBy,
      createdAt: row.createdAt,
      updatedAt: row.updatedAt,
      versionCreatedBy: ver.createdBy,
      versionCreatedAt: ver.createdAt,
      deletedAt: row.deletedAt,
    },
  };
}

function summarize(row: WorkflowRow): WorkflowSummary {
  return {
    id: row.id,
    name: row.name,
    description: row.description,
    latestVersion: row.latestVersion,
    createdBy: row.createdBy,
    createdAt: row.createdAt,
    updatedAt: row.updatedAt,
  };
}

/** Live workflows, newest first, after the keyset position `after` when given. */
export async function listWorkflows(
  env: DbEnv,
  limit: number,
  after?: { ts: number; id: string },
): Promise<{ workflows: WorkflowSummary[]; next: { ts: number; id: string } | null }> {
  const db = createDb(env.DB);
  const rows = await db
    .select()
    .from(chainbotWorkflows)
    .where(
      and(
        isNull(chainbotWorkflows.deletedAt),
        after
          ? or(
              lt(chainbotWorkflows.createdAt, after.ts),
              and(eq(chainbotWorkflows.createdAt, after.ts), lt(chainbotWorkflows.id, after.id)),
            )
          : undefined,
      ),
    )
    .orderBy(desc(chainbotWorkflows.createdAt), desc(chainbotWorkflows.id))
    .limit(limit + 1)
    .all();
  const page = rows.slice(0, limit);
  const last = page[page.length - 1];
  return {
    workflows: page.map(summarize),
    next: rows.length > limit && last ? { ts: last.createdAt, id: last.id } : null,
  };
}
