/**
 * Reserved subjects: the one table deciding which subjects a client may publish with `events:publish` alone.
 * A subject botplane consumes does what an HTTP operation does, so publishing it needs that operation's
 * scope; a subject botplane announces is believed by its readers, so publishing it needs `admin`. Everything
 * else on the bus is open to `events:publish`. The README lists this table.
 */
import { grants, type Scope } from "../auth/scopes";
import { subjectMatches } from "./subjects";

export interface ReservedSubject {
  /** A NATS pattern (`*` one token, trailing `>` one or more). */
  pattern: string;
  /** The scope a publisher needs besides `events:publish` (`admin` grants every one). */
  scope: Scope;
  why: string;
}

export const RESERVED_SUBJECTS: readonly ReservedSubject[] = [
  { pattern: "botz.register.v1", scope: "botz:write", why: "consumed by the BoTZ registry: POST /v1/botz/register" },
  { pattern: "botz.heartbeat.v1", scope: "botz:write", why: "consumed by the BoTZ registry: POST /v1/botz/heartbeat" },
  {
    pattern: "chat.sms.received.v1",
    scope: "admin",
    why: "consumed by the chat gateway: texts its reply to the sender (POST /sms/inbound publishes it)",
  },
  {
    pattern: "chat.voice.turn.v1",
    scope: "admin",
    why: "consumed by the chat gateway: answers a caller's turn (POST /voice/inbound/answer publishes it)",
  },
  { pattern: "botz.registered.v1", scope: "admin", why: "announced by the BoTZ registry" },
  { pattern: "botz.workitem.>", scope: "admin", why: "announced by the BoTZ registry (claimed, completed)" },
  { pattern: "resources.>", scope: "admin", why: "announced by the resource coordinator (granted, released, expired)" },
  {
    pattern: "chat.discord.>",
    scope: "admin",
    why: "consumed by the chat gateway: a verified Discord /ask (POST /discord/interactions)",
  },
  { pattern: "chainbot.>", scope: "admin", why: "announced by ChainBot (to come)" },
  {
    pattern: "edge.>",
    scope: "admin",
    why: "announced by the edge hub (device online/offline, temperature alert/cleared)",
  },
  { pattern: "errors.botplane.>", scope: "admin", why: "botplane's own ERROR events (errors.botplane.<component>)" },
];

/** The scope publishing this subject needs beyond `events:publish`, or undefined when it is not reserved. */
export function reservedScope(subject: string): Scope | undefined {
  return RESERVED_SUBJECTS.find((r) => subjectMatches(r.pattern, subject))?.scope;
}

/** The scope missing for `scopes` to publish `subject`, or undefined when they may. */
export function missingPublishScope(scopes: readonly string[], subject: string): Scope | undefined {
  const needed = reservedScope(subject);
  return needed === undefined || grants(scopes, needed) ? undefined : needed;
}
