/**
 * The inference log's batch insert (one JSON parameter per statement, not drizzle's builder): every column
 * lands with its type, JSON columns read back through drizzle as they were written, a redelivered id is
 * skipped without failing the batch, and rows too large for one statement are split across several.
 */
import { env } from "cloudflare:workers";
import { inArray } from "drizzle-orm";
import { afterEach, describe, it } from "vitest";
import { logInference, type InferenceRow } from "../../workers/models/api/inference-log";
import { createDb } from "../../workers/platform/db/client";
import { inferences } from "../../workers/platform/db/schema";

function row(overrides: Partial<InferenceRow> = {}): InferenceRow {
  return {
    id: crypto.randomUUID(),
    episodeId: crypto.randomUUID(),
    functionName: "chat",
    variantName: "only",
    provider: "openai",
    model: "gpt-test",
    tier: "cloud",
    status: "ok",
    attempts: [{ provider: "openai", status: "ok", reason: 'it\'s "quoted"' }],
    inputTokens: 12,
    outputTokens: 34,
    cost: 0.000125,
    latencyMs: 87,
    ttftMs: null,
    cache: "miss",
    workspace: null,
    tags: { user: "ada", ключ: "värde" },
    request: '{"messages":[{"role":"user","content":"hi"}]}',
    response: "hello\nworld",
    createdAt: 1_764_460_800_123,
    ...overrides,
  };
}

/** Logs the rows, waits for the flush the first one scheduled, and returns the statements per D1 batch. */
async function logAll(rows: InferenceRow[]): Promise<number[]> {
  const batches: number[] = [];
  // The real database, with each batch's size noted on the way.
  const DB = {
    prepare: (query: string) => env.DB.prepare(query),
    batch: (statements: D1PreparedStatement[]) => {
      batches.push(statements.length);
      return env.DB.batch(statements);
    },
  } as unknown as D1Database;
  const started: Promise<unknown>[] = [];
  for (const r of rows) logInference({ ...env, DB }, r, (p) => started.push(p));
  await Promise.all(started);
  return batches;
}

async function read(ids: string[]): Promise<InferenceRow[]> {
  return createDb(env.DB).select().from(inferences).where(inArray(inferences.id, ids));
}

const written: string[] = [];

afterEach(async () => {
  if (written.length)
    await createDb(env.DB)
      .delete(inferences)
      .where(inArray(inferences.id, written.splice(0)));
});

describe("logInference", () => {
  it("should store every column of every row exactly as given", async ({ expect }) => {
    const rows = [row(), row({ status: "error", provider: null, tags: null, inputTokens: null, cost: null })];
    written.push(...rows.map((r) => r.id));
    expect(await logAll(rows)).toEqual([1]);
    const stored = await read(written);
    expect(stored.sort((a, b) => a.status.localeCompare(b.status))).toEqual(
      rows.sort((a, b) => a.status.localeCompare(b.status)),
    );
  });

  it("should skip an id already stored and still store the rest of the batch", async ({ expect }) => {
    const first = row();
    written.push(first.id);
    await logAll([first]);
    const again = { ...first, status: "changed" };
    const other = row();
    written.push(other.id);
    await logAll([again, other]);
    const stored = await read(written);
    expect(stored.map((r) => [r.id, r.status]).sort()).toEqual(
      [
        [first.id, "ok"],
        [other.id, "ok"],
      ].sort(),
    );
  });

  it("should split rows too large for one statement across several", async ({ expect }) => {
    // ~400 KB each: three do not fit under one statement's 900 KB of JSON.
    const rows = [0, 1, 2].map((i) => row({ request: `${i}`.repeat(400_000) }));
    written.push(...rows.map((r) => r.id));
    expect(await logAll(rows)).toEqual([2]);
    const stored = await read(written);
    expect(stored.map((r) => r.request?.length)).toEqual([400_000, 400_000, 400_000]);
    expect(new Set(stored.map((r) => r.id))).toEqual(new Set(written));
  });
});
