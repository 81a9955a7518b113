/**
 * Subjects: seed 002's EventType values and NATS-style dotted subjects, one table between them, the
 * EVENT_BUS_TOPIC_PREFIX namespace, and wildcard patterns (`*` = one token, `>` = one or more trailing
 * tokens, as in NATS).
 */
import { subjectMatches } from "../platform/bus/subjects";

export const EVENT_TYPES = [
  "GAME_STATE",
  "LEARNING_DECISION",
  "STRATEGY_REQUEST",
  "STRATEGY_RESPONSE",
  "KNOWLEDGE_QUERY",
  "KNOWLEDGE_UPDATE",
  "METRIC",
  "ERROR",
  "HEARTBEAT",
] as const;
export type EventType = (typeof EVENT_TYPES)[number];

/**
 * The one table between EventType and subjects. `publish` is the subject an event published under that
 * EventType gets (`{source}` is its source, made subject-safe); `match` is what a subscription or history
 * filter naming the EventType matches.
 */
export const EVENT_TYPE_SUBJECTS: Readonly<Record<EventType, { publish: string; match: readonly string[] }>> = {
  GAME_STATE: { publish: "game.state", match: ["game.state"] },
  LEARNING_DECISION: { publish: "learning.decision", match: ["learning.decision"] },
  STRATEGY_REQUEST: { publish: "strategy.request", match: ["strategy.request"] },
  STRATEGY_RESPONSE: { publish: "strategy.response", match: ["strategy.response"] },
  KNOWLEDGE_QUERY: { publish: "knowledge.query", match: ["knowledge.query"] },
  KNOWLEDGE_UPDATE: { publish: "knowledge.update", match: ["knowledge.update"] },
  METRIC: { publish: "metrics.{source}", match: ["metrics.>"] },
  ERROR: { publish: "errors.{source}", match: ["errors.>"] },
  HEARTBEAT: { publish: "{source}.heartbeat.v1", match: ["*.heartbeat.*"] },
};

export function isEventType(value: string): value is EventType {
  return (EVENT_TYPES as readonly string[]).includes(value);
}

/** A source name as one subject token: lower case, dots and spaces become underscores. */
export function subjectToken(value: string): string {
  return (
    value
      .trim()
      .toLowerCase()
      .replace(/[^a-z0-9_-]+/g, "_") || "unknown"
  );
}

/** Removes the configured topic prefix (`jimbot.game.state` → `game.state`). */
export function stripPrefix(subject: string, prefix: string | undefined): string {
  return prefix && subject.startsWith(`${prefix}.`) ? subject.slice(prefix.length + 1) : subject;
}

/** The canonical subject for an event's declared type: an EventType is mapped, a subject kept. */
export function canonicalSubject(type: string, source: string, prefix: string | undefined): string {
  if (isEventType(type)) return EVENT_TYPE_SUBJECTS[type].publish.replace("{source}", subjectToken(source));
  return stripPrefix(type, prefix);
}

/** The EventType a subject belongs to, if any (the reverse of the table). */
export function eventTypeOf(subject: string): EventType | undefined {
  return EVENT_TYPES.find((t) => EVENT_TYPE_SUBJECTS[t].match.some((p) => subjectMatches(p, subject)));
}

/** Filter patterns for what a subscriber or history query asked for: an EventType expands via the table. */
export function patternsFor(filter: string, prefix: string | undefined): readonly string[] {
  return isEventType(filter) ? EVENT_TYPE_SUBJECTS[filter].match : [stripPrefix(filter, prefix)];
}
