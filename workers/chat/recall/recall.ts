/**
 * Semantic recall (seed 003 "Memory Store", the optional vector layer): each turn's text is embedded with the
 * model gateway's `embed` function and kept per workspace and namespace; a new message recalls the top-k
 * earlier turns of other sessions whose cosine similarity reaches CHAT_RECALL_THRESHOLD into its context.
 * Vectors live in Vectorize when `CHAT_RECALL_INDEX` is bound (cosine index, metadata index on `scope`),
 * else in D1's `chat_recall_vectors`. Everything here is best effort: an embedding or storage failure skips
 * recall for that turn (logged), never the reply. Mode-3 (`wbs`) turns are only ever recalled at mode 3.
 */
import { and, desc, eq, ne } from "drizzle-orm";
import { createDb } from "../../platform/db/client";
import { chatRecallVectors } from "../../platform/db/schema";
import type { Env } from "../../platform/env";
import type { Logger } from "../../platform/logger";
import type { Deferrer, GatewayModel } from "../../platform/model-port";
import { limitsConfig } from "../limits/config";
import { cosineSimilarity } from "../../platform/vectors";

/** Characters of a turn kept and embedded: a recalled turn is context, not a transcript. */
export const RECALL_TEXT_MAX = 1_000;
/** Newest D1 vectors compared per recall: bounds the scan however long the workspace's history grows. */
export const RECALL_SCAN_LIMIT = 500;

export interface RecallScope {
  workspaceId: string;
  namespace: "wb" | "wbs";
  sessionId: string;
}

export interface Recalled {
  text: string;
  score: number;
}

interface RecallDeps {
  env: Env;
  ctx: Deferrer;
  model: GatewayModel;
  log: Logger;
}

type RecallEnv = Env & { CHAT_RECALL_INDEX?: Vectorize | undefined };

const indexOf = (env: Env) => (env as RecallEnv).CHAT_RECALL_INDEX;
const scopeKey = (s: RecallScope) => `${s.namespace}:${s.workspaceId}`;

async function embed(deps: RecallDeps, text: string, what: string): Promise<number[] | null> {
  if (!deps.model.embed) return null;
  try {
    // null: no `embed` function configured, or it failed — which the gateway has already logged.
    return await deps.model.embed(deps.env, deps.ctx, text);
  } catch (err) {
    deps.log.warn(`semantic recall skipped: embedding the ${what} failed`, {
      error: err instanceof Error ? err.message : String(err),
    });
    return null;
  }
}

/** Earlier turns of the workspace (other sessions) most like `message`, best first. */
export async function recall(deps: RecallDeps, scope: RecallScope, message: string): Promise<Recalled[]> {
  const { recallTopK: topK, recallThreshold: threshold } = limitsConfig(deps.env);
  if (topK === 0) return [];
  const vector = await embed(deps, message.slice(0, RECALL_TEXT_MAX), "message");
  if (!vector) return [];
  try {
    const index = indexOf(deps.env);
    if (index) {
      const found = await index.query(vector, {
        topK: topK + 4,
        returnMetadata: "all",
        filter: { scope: scopeKey(scope) },
      });
      return found.matches
        .filter((m) => m.score >= threshold && m.metadata?.session_id !== scope.sessionId)
        .map((m) => ({ text: typeof m.metadata?.text === "string" ? m.metadata.text : "", score: m.score }))
        .filter((r) => r.text !== "")
        .slice(0, topK);
    }
    const rows = await createDb(deps.env.DB)
      .select({ text: chatRecallVectors.text, embedding: chatRecallVectors.embedding })
      .from(chatRecallVectors)
      .where(
        and(
          eq(chatRecallVectors.workspaceId, scope.workspaceId),
          eq(chatRecallVectors.namespace, scope.namespace),
          ne(chatRecallVectors.sessionId, scope.sessionId),
        ),
      )
      .orderBy(desc(chatRecallVectors.createdAt))
      .limit(RECALL_SCAN_LIMIT);
    return rows
      .map((r) => ({ text: r.text, score: cosineSimilarity(vector, r.embedding) }))
      .filter((r) => r.score >= threshold)
      .sort((a, b) => b.score - a.score)
      .slice(0, topK);
  } catch (err) {
    deps.log.warn("semantic recall skipped: the vector store failed", {
      error: err instanceof Error ? err.message : String(err),
    });
    return [];
  }
}

/** Embeds and keeps one finished turn; meant for `waitUntil`, it never rejects. */
export async function remember(deps: RecallDeps, scope: RecallScope, user: string, reply: string): Promise<void> {
  if (limitsConfig(deps.env).recallTopK === 0) return;
  const text = `Founder: ${user}\nAssistant: ${reply}`.slice(0, RECALL_TEXT_MAX);
  const vector = await embed(deps, text, "turn");
  if (!vector) return;
  const id = crypto.randomUUID();
  try {
    const index = indexOf(deps.env);
    if (index)
      await index.upsert([
        { id, values: vector, metadata: { scope: scopeKey(scope), session_id: scope.sessionId, text } },
      ]);
    else
      await createDb(deps.env.DB)
        .insert(chatRecallVectors)
        .values({ id, ...scope, text, embedding: vector, createdAt: Date.now() });
  } catch (err) {
    deps.log.warn("turn not kept for semantic recall", { error: err instanceof Error ? err.message : String(err) });
  }
}

/** The system prompt's paragraph of recalled turns; empty when nothing was recalled. */
export function recallSection(recalled: readonly Recalled[]): string {
  if (recalled.length === 0) return "";
  return ["Earlier conversations that may be relevant:", ...recalled.map((r) => `- ${r.text}`)].join("\n");
}
