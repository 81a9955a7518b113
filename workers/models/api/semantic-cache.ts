/**
 * The opt-in semantic inference cache (a function's `cache.semantic_threshold`): a single-turn request's
 * user text is embedded with the config's `embed` function and compared by cosine similarity with that
 * function's unexpired semantic entries, so a rephrased research question reuses an earlier answer. Entries
 * live beside the exact-match ones in D1's `inference_cache`, with `embedding` set. Everything here is an
 * optimisation: an embedding or storage failure only means no semantic caching, never a failed request.
 */
import { and, desc, eq, gt, isNotNull, sql } from "drizzle-orm";
import { createDb } from "../../platform/db/client";
import { inferenceCache } from "../../platform/db/schema";
import type { Env } from "../../platform/env";
import { createLogger } from "../../platform/logger";
import type { LoadedConfig } from "../config/source";
import type { FunctionConfig } from "../config/types";
import { executeEmbed } from "../router";
import type { ChatMessage, ChatParams } from "../types";
import { planFor, toExecutionAttempts } from "./attempts";
import { cacheKey, type CachedAnswer } from "./cache";
import { cosineSimilarity } from "../../platform/vectors";

/** The embedding function the seed defines (`[functions.embed]`); the config schema has no key to rename it. */
export const EMBEDDING_FUNCTION = "embed";
/** Newest entries compared per lookup: bounds the scan (and the JS cosine loop) however big the cache grows. */
export const SCAN_LIMIT = 500;
/** The embedding sits in front of every miss, so it gets a short budget of its own rather than the function's. */
const EMBED_DEADLINE_MS = 2_500;

export type CacheMode = "on" | "off" | "read_only" | "write_only";

export interface SemanticOptions {
  read: boolean;
  write: boolean;
  threshold: number;
  ttlS: number;
}

/** What identifies a single-turn request apart from its text: entries are only compared within one scope. */
export interface SemanticQuery {
  functionName: string;
  text: string;
  system?: string | undefined;
  variantName?: string | undefined;
  params: ChatParams;
}

interface StoredSemantic {
  scope: string;
  answer: CachedAnswer;
}

/** On when the function sets a threshold; the request's cache mode can turn it off or make it one-way. */
export function semanticOptions(
  fn: FunctionConfig | undefined,
  mode: CacheMode | undefined,
): SemanticOptions | undefined {
  const threshold = fn?.cache.semanticThreshold;
  if (threshold === undefined || mode === "off") return undefined;
  return { read: mode !== "write_only", write: mode !== "read_only", threshold, ttlS: fn?.cache.semanticTtlS ?? 3600 };
}

/** The user text of a single-turn request (one text-only user message); undefined for anything else. */
export function singleTurnText(messages: readonly ChatMessage[], hasTools: boolean): string | undefined {
  const [only, ...rest] = messages;
  if (!only || rest.length > 0 || only.role !== "user" || hasTools) return undefined;
  const texts: string[] = [];
  for (const block of only.content) {
    if (block.type !== "text") return undefined;
    texts.push(block.text);
  }
  const text = texts.join("\n");
  return text.trim() === "" ? undefined : text;
}

function messageOf(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

/** Embeds one text with the `embed` function; null when it is missing, not an embedding function, or fails. */
export async function embedText(
  env: Env,
  defer: (p: Promise<unknown>) => void,
  loaded: LoadedConfig,
  text: string,
): Promise<number[] | null> {
  const fn = loaded.config.functions.get(EMBEDDING_FUNCTION);
  if (fn?.type !== "embedding") return null;
  try {
    const plan = planFor(loaded, { kind: "function", name: fn.name, fn }, { embedding: true });
    const deadlineMs = Math.min(plan.deadlineMs, EMBED_DEADLINE_MS);
    const executed = await executeEmbed(
      toExecutionAttempts(plan, env),
      { input: [text] },
      { env, defer, functionName: fn.name, deadlineMs },
    );
    const [vector] = executed.result.embeddings;
    return vector && vector.length > 0 ? vector : null;
  } catch (err) {
    createLogger("models.semantic_cache", env.LOG_LEVEL).warn("embedding with the 'embed' function failed", {
      error: messageOf(err),
    });
    return null;
  }
}

/** A request's scope: function, pinned variant, system prompt and params all change the answer. */
function scopeOf(q: SemanticQuery): Promise<string> {
  return cacheKey({
    semantic: q.functionName,
    variant: q.variantName ?? null,
    system: q.system ?? null,
    params: q.params,
  });
}

/** The most similar unexpired entry of this scope at or above the threshold, among the newest SCAN_LIMIT. */
export async function findSimilar(
  env: Pick<Env, "DB">,
  q: SemanticQuery,
  vector: readonly number[],
  threshold: number,
  now: number,
): Promise<CachedAnswer | null> {
  const scope = await scopeOf(q);
  const rows = await createDb(env.DB)
    .select({ embedding: inferenceCache.embedding, response: inferenceCache.response })
    .from(inferenceCache)
    .where(
      and(
        eq(inferenceCache.functionName, q.functionName),
        gt(inferenceCache.expiresAt, now),
        isNotNull(inferenceCache.embedding),
        sql`json_extract(${inferenceCache.response}, '$.scope') = ${scope}`,
      ),
    )
    .orderBy(desc(inferenceCache.createdAt))
    .limit(SCAN_LIMIT);
  let best: { score: number; response: string } | null = null;
  for (const row of rows) {
    if (!row.embedding) continue;
    const score = cosineSimilarity(vector, row.embedding);
    if (score >= threshold && (!best || score > best.score)) best = { score, response: row.response };
  }
  return best ? (JSON.parse(best.response) as StoredSemantic).answer : null;
}

export async function writeSemantic(
  env: Pick<Env, "DB">,
  q: SemanticQuery,
  vector: number[],
  answer: CachedAnswer,
  ttlS: number,
  now: number,
): Promise<void> {
  const scope = await scopeOf(q);
  const key = await cacheKey({ scope, text: q.text });
  const stored: StoredSemantic = { scope, answer };
  const row = {
    key,
    functionName: q.functionName,
    embedding: vector,
    response: JSON.stringify(stored),
    createdAt: now,
    expiresAt: now + ttlS * 1000,
  };
  await createDb(env.DB)
    .insert(inferenceCache)
    .values(row)
    .onConflictDoUpdate({ target: inferenceCache.key, set: row });
}

export interface SemanticProbe {
  hit: CachedAnswer | null;
  /** Remembers a fresh answer (embedding the text now if the lookup did not); never rejects. */
  store(answer: CachedAnswer): Promise<void>;
}

/** Looks the query up (when reading) and hands back how to store the answer on a miss. */
export async function probeSemantic(
  env: Env,
  defer: (p: Promise<unknown>) => void,
  loaded: LoadedConfig,
  q: SemanticQuery,
  opts: SemanticOptions,
  now: number,
): Promise<SemanticProbe> {
  const log = createLogger("models.semantic_cache", env.LOG_LEVEL);
  const vector = opts.read ? await embedText(env, defer, loaded, q.text) : null;
  let hit: CachedAnswer | null = null;
  if (vector) {
    try {
      hit = await findSimilar(env, q, vector, opts.threshold, now);
    } catch (err) {
      log.warn("semantic cache lookup failed", { error: messageOf(err) });
    }
  }
  const store = async (answer: CachedAnswer): Promise<void> => {
    if (!opts.write) return;
    // A lookup whose embedding failed is not retried here: one failing call per request is enough.
    const v = opts.read ? vector : await embedText(env, defer, loaded, q.text);
    if (!v) return;
    await writeSemantic(env, q, v, answer, opts.ttlS, Date.now()).catch((err: unknown) =>
      log.warn("semantic cache write failed", { error: messageOf(err) }),
    );
  };
  return { hit, store };
}

/** The parts of a chat call the semantic cache reads. */
export interface SemanticCall {
  loaded: LoadedConfig;
  target: { name: string; fn?: FunctionConfig | undefined };
  variantName?: string | undefined;
  system?: string | undefined;
  messages: ChatMessage[];
  params: ChatParams;
  tools?: readonly unknown[] | undefined;
  semantic?: SemanticOptions | undefined;
}

/** A probe for a single-turn call of a function with the semantic cache on; null for every other call. */
export async function semanticProbeFor(
  env: Env,
  defer: (p: Promise<unknown>) => void,
  call: SemanticCall,
  now: number,
): Promise<SemanticProbe | null> {
  const fn = call.target.fn;
  const text = singleTurnText(call.messages, (call.tools?.length ?? 0) > 0);
  if (!call.semantic || !fn || fn.type === "embedding" || text === undefined) return null;
  const q = { functionName: fn.name, text, system: call.system, variantName: call.variantName, params: call.params };
  return probeSemantic(env, defer, call.loaded, q, call.semantic, now);
}
