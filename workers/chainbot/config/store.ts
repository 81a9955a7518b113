/**
 * D1 storage of the two stored config levels: uploaded files (`chainbot_config_files`, applied in name
 * order) and runtime overrides (`chainbot_config_runtime`, one row per key). Writers bump this isolate's
 * config cache through load.ts; values were checked before they got here.
 */
import { asc, eq, inArray } from "drizzle-orm";
import { createDb } from "../../platform/db/client";
import { chainbotConfigFiles, chainbotConfigRuntime } from "../../platform/db/schema";
import type { FileFormat } from "./file-level";
import type { ConfigKeyName, ConfigValue } from "./keys";

export interface StoredFile {
  name: string;
  format: string;
  values: Record<string, unknown>;
  updatedAt: number;
  updatedBy: string;
}

export interface StoredLevels {
  files: StoredFile[];
  runtime: Map<string, { value: unknown; updatedAt: number; updatedBy: string }>;
}

export async function readStoredLevels(d1: D1Database): Promise<StoredLevels> {
  const db = createDb(d1);
  const [files, runtime] = await db.batch([
    db
      .select({
        name: chainbotConfigFiles.name,
        format: chainbotConfigFiles.format,
        values: chainbotConfigFiles.values,
        updatedAt: chainbotConfigFiles.updatedAt,
        updatedBy: chainbotConfigFiles.updatedBy,
      })
      .from(chainbotConfigFiles)
      .orderBy(asc(chainbotConfigFiles.name)),
    db.select().from(chainbotConfigRuntime),
  ]);
  return {
    files,
    runtime: new Map(runtime.map((r) => [r.key, { value: r.value, updatedAt: r.updatedAt, updatedBy: r.updatedBy }])),
  };
}

/** Creates or replaces a file; answers whether it existed before. */
export async function putConfigFile(
  d1: D1Database,
  file: { name: string; format: FileFormat; content: string; values: Map<ConfigKeyName, ConfigValue>; by: string },
): Promise<{ created: boolean }> {
  const db = createDb(d1);
  const values = Object.fromEntries(file.values);
  const row = { format: file.format, content: file.content, values, updatedAt: Date.now(), updatedBy: file.by };
  const [before] = await db.batch([
    db
      .select({ name: chainbotConfigFiles.name })
      .from(chainbotConfigFiles)
      .where(eq(chainbotConfigFiles.name, file.name)),
    db
      .insert(chainbotConfigFiles)
      .values({ name: file.name, ...row })
      .onConflictDoUpdate({ target: chainbotConfigFiles.name, set: row }),
  ]);
  return { created: before.length === 0 };
}

export async function deleteConfigFile(d1: D1Database, name: string): Promise<boolean> {
  const rows = await createDb(d1)
    .delete(chainbotConfigFiles)
    .where(eq(chainbotConfigFiles.name, name))
    .returning({ name: chainbotConfigFiles.name });
  return rows.length > 0;
}

/** Sets the given runtime overrides and removes the `null` ones, in one batch (D1 runs it atomically). */
export async function patchRuntime(
  d1: D1Database,
  set: Map<ConfigKeyName, ConfigValue>,
  remove: readonly ConfigKeyName[],
  by: string,
): Promise<void> {
  const db = createDb(d1);
  const now = Date.now();
  const statements = [...set].map(([key, value]) =>
    db
      .insert(chainbotConfigRuntime)
      .values({ key, value, updatedAt: now, updatedBy: by })
      .onConflictDoUpdate({ target: chainbotConfigRuntime.key, set: { value, updatedAt: now, updatedBy: by } }),
  );
  const removal =
    remove.length > 0 ? [db.delete(chainbotConfigRuntime).where(inArray(chainbotConfigRuntime.key, [...remove]))] : [];
  const all = [...statements, ...removal];
  const [first, ...rest] = all;
  if (first) await db.batch([first, ...rest]);
}
