/**
 * UpdateKnowledge's effects, shared by the mutation and the `knowledge.update` handler: apply once per
 * update_id (store.ts), announce the change as `knowledge.changed` (its event_id derived from the update_id,
 * so a repeat announcement is the same event and the bus drops it), and mirror it to an external
 * Memgraph/Neo4j when one is configured — behind the `memgraph` breaker, after the answer, never failing it.
 */
import { breaker, type Defer } from "../../platform/breaker/breaker";
import { createEvent } from "../../platform/bus/envelope";
import { publish } from "../../platform/bus/publish";
import type { Env } from "../../platform/env";
import type { Logger } from "../../platform/logger";
import { sha256Hex } from "../../platform/sha256";
import { knowledgeConfig } from "./config";
import type { KnowledgeUpdate, UpdateResponse } from "./schemas";
import { applyUpdate, entityId } from "./store";

export const KNOWLEDGE_CHANGED = "knowledge.changed";

/** A UUID (v4 layout) that is a pure function of the text: the same update announces the same event. */
export async function derivedUuid(text: string): Promise<string> {
  const h = await sha256Hex(text);
  const variant = ((parseInt(h.charAt(16), 16) & 0x3) | 0x8).toString(16);
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-4${h.slice(13, 16)}-${variant}${h.slice(17, 20)}-${h.slice(20, 32)}`;
}

function cypherOf(update: KnowledgeUpdate) {
  const entities = update.entities.map((e) => ({
    statement: "MERGE (n:Entity {id: $id}) SET n.type = $type, n.name = $name, n += $properties",
    parameters: { id: entityId(e.type, e.name), type: e.type, name: e.name, properties: e.properties ?? {} },
  }));
  const relations = update.relations.map((r) => ({
    statement:
      "MERGE (s:Entity {id: $source}) MERGE (t:Entity {id: $target}) " +
      "MERGE (s)-[k:RELATES {type: $type}]->(t) SET k.strength = $strength, k.conditions = $conditions",
    parameters: {
      source: entityId(r.source.type, r.source.name),
      target: entityId(r.target.type, r.target.name),
      type: r.type,
      strength: r.strength ?? null,
      conditions: r.conditions ?? [],
    },
  }));
  return { statements: [...entities, ...relations] };
}

async function mirror(env: Env, url: string, update: KnowledgeUpdate, defer: Defer, log: Logger): Promise<void> {
  try {
    await breaker(env, "memgraph", defer).run(async () => {
      const res = await fetch(url, {
        method: "POST",
        headers: { "content-type": "application/json", accept: "application/json" },
        body: JSON.stringify(cypherOf(update)),
        signal: AbortSignal.timeout(5000),
      });
      if (!res.ok) throw new Error(`memgraph answered ${res.status}`);
      const body: unknown = await res.json();
      const errors = typeof body === "object" && body !== null && "errors" in body ? body.errors : [];
      if (Array.isArray(errors) && errors.length) throw new Error(`memgraph refused: ${JSON.stringify(errors[0])}`);
    });
  } catch (err) {
    log.warn("knowledge update not mirrored to memgraph", {
      update_id: update.update_id,
      error: err instanceof Error ? err.message : String(err),
    });
  }
}

export async function updateKnowledge(
  env: Env,
  update: KnowledgeUpdate,
  options: { defer: Defer; log: Logger; traceparent?: string | undefined },
): Promise<UpdateResponse> {
  const response = await applyUpdate(env, update);
  try {
    await publish(env, [
      createEvent({
        type: KNOWLEDGE_CHANGED,
        source: "knowledge",
        payload: { update, response: { ...response, applied: true } },
        eventId: await derivedUuid(`knowledge.changed:${update.update_id}`),
        correlationId: `knowledge:${update.update_id}`,
        traceparent: options.traceparent,
      }),
    ]);
  } catch (err) {
    // The change is stored; only its announcement is missing, and the next repeat of the update sends it.
    options.log.warn("knowledge change not announced", { update_id: update.update_id, error: String(err) });
  }
  const url = knowledgeConfig(env).memgraphUrl;
  if (url && response.applied) options.defer(mirror(env, url, update, options.defer, options.log));
  return response;
}
