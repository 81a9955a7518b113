/**
 * The knowledge graph on the bus: `knowledge.update` (KNOWLEDGE_UPDATE) applies a KnowledgeUpdate exactly as
 * the mutation does, once per update_id (the event_id stands in when the payload has none);
 * `knowledge.query` (KNOWLEDGE_QUERY) runs its GraphQL query and answers with `knowledge.response` under the
 * same correlation_id — its event_id derived from the query's, so a redelivered query answers once.
 */
import { createEvent, type BusEvent } from "../../platform/bus/envelope";
import { PermanentError, type BusHandler } from "../../platform/bus/handlers";
import { publish } from "../../platform/bus/publish";
import type { Env } from "../../platform/env";
import type { Logger } from "../../platform/logger";
import { knowledgeConfig } from "./config";
import { runGraphql } from "./execute";
import { KnowledgeQueryPayloadSchema, KnowledgeUpdateSchema } from "./schemas";
import { derivedUuid, updateKnowledge } from "./service";

export const KNOWLEDGE_UPDATE = "knowledge.update";
export const KNOWLEDGE_QUERY = "knowledge.query";
export const KNOWLEDGE_RESPONSE = "knowledge.response";

function invalid(event: BusEvent, issues: readonly { path: PropertyKey[]; message: string }[]): PermanentError {
  const first = issues[0];
  return new PermanentError(`${event.type} payload.${first?.path.map(String).join(".") ?? ""}: ${first?.message}`);
}

async function onUpdate(event: BusEvent, env: Env, log: Logger): Promise<void> {
  const payload = typeof event.payload === "object" && event.payload !== null ? event.payload : {};
  const parsed = KnowledgeUpdateSchema.safeParse({ update_id: event.event_id, ...payload });
  if (!parsed.success) throw invalid(event, parsed.error.issues);
  const deferred: Promise<unknown>[] = [];
  const response = await updateKnowledge(env, parsed.data, {
    defer: (p) => deferred.push(p),
    log,
    traceparent: event.metadata.traceparent,
  });
  await Promise.allSettled(deferred);
  log.info("knowledge update from the bus", { update_id: response.update_id, applied: response.applied });
}

async function onQuery(event: BusEvent, env: Env, log: Logger): Promise<void> {
  const parsed = KnowledgeQueryPayloadSchema.safeParse(event.payload);
  if (!parsed.success) throw invalid(event, parsed.error.issues);
  const outcome = await runGraphql(parsed.data, {
    env,
    config: knowledgeConfig(env),
    // Updates travel as knowledge.update events, which carry their own update_id.
    allowMutation: false,
    canMutate: false,
    applyUpdate: () => Promise.reject(new Error("mutations are not answered on the bus")),
  });
  await publish(env, [
    createEvent({
      type: KNOWLEDGE_RESPONSE,
      source: "knowledge",
      // graphql-js builds `data` from null-prototype objects, which RPC to the partition cannot clone.
      payload: JSON.parse(JSON.stringify({ query_event_id: event.event_id, status: outcome.status, ...outcome.body })),
      eventId: await derivedUuid(`knowledge.response:${event.event_id}`),
      correlationId: event.correlation_id,
      traceparent: event.metadata.traceparent,
    }),
  ]);
  log.info("knowledge query answered on the bus", { query_event_id: event.event_id, status: outcome.status });
}

export const knowledgeBusHandlers: Record<string, BusHandler[]> = {
  [KNOWLEDGE_UPDATE]: [{ name: KNOWLEDGE_UPDATE, run: onUpdate }],
  [KNOWLEDGE_QUERY]: [{ name: KNOWLEDGE_QUERY, run: onQuery }],
};
