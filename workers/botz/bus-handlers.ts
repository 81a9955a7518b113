/**
 * The BoTZ gateway's bus subscriptions (seed 000): `botz.register.v1` and `botz.heartbeat.v1` arriving on
 * the queue do exactly what the HTTP calls do. A payload that fails validation can never succeed, so it is
 * a PermanentError (dead-lettered at once, not retried). Each call carries `${event_id}:${handler}` as its
 * idempotency key, which the registry records in the same transaction as the change: a redelivered event,
 * even one whose ledger mark was never written, applies nothing twice.
 */
import { NotReadyError, PermanentError, type BusHandler } from "../platform/bus/consumer";
import type { BusEvent } from "../platform/bus/envelope";
import type { Env } from "../platform/env";
import type { Logger } from "../platform/logger";
import { botzRegistry } from "../../durable-objects/botz-registry-client";
import { toRegisterInput } from "./registry";
import { HeartbeatBodySchema, RegisterBodySchema } from "./schemas";

function invalid(subject: string, issues: { path: PropertyKey[]; message: string }[]): PermanentError {
  const first = issues[0];
  return new PermanentError(
    `${subject} payload.${first?.path.map(String).join(".") ?? ""}: ${first?.message ?? "invalid"}`,
  );
}

const REGISTER = "botz.register";
const HEARTBEAT = "botz.heartbeat";

/** One key per event and handler, so two handlers of one event never shadow each other. */
export function idempotencyKey(event: BusEvent, handler: string): string {
  return `${event.event_id}:${handler}`;
}

async function onRegister(event: BusEvent, env: Env, log: Logger): Promise<void> {
  const parsed = RegisterBodySchema.safeParse(event.payload);
  if (!parsed.success) throw invalid(event.type, parsed.error.issues);
  const input = await toRegisterInput(parsed.data);
  const { created } = await botzRegistry(env).register(
    input,
    event.metadata.traceparent,
    idempotencyKey(event, REGISTER),
  );
  log.info("registered over the bus", { botz_id: input.botz_id, instance_id: input.instance_id, created });
}

async function onHeartbeat(event: BusEvent, env: Env): Promise<void> {
  const parsed = HeartbeatBodySchema.safeParse(event.payload);
  if (!parsed.success) throw invalid(event.type, parsed.error.issues);
  const result = await botzRegistry(env).heartbeat(parsed.data, idempotencyKey(event, HEARTBEAT));
  // Queues do not keep order: a heartbeat may overtake its register, so an unknown instance is retried.
  if (!result.ok) throw new NotReadyError(`${event.type}: ${result.message}`);
}

export const botzBusHandlers: Record<string, BusHandler[]> = {
  "botz.register.v1": [{ name: REGISTER, run: onRegister }],
  "botz.heartbeat.v1": [{ name: HEARTBEAT, run: onHeartbeat }],
};
