/**
 * The BoTZ gateway's bus subscriptions (seed 000): `botz.register.v1` and `botz.heartbeat.v1` arriving on
 * the queue do exactly what the HTTP calls do. A payload that fails validation can never succeed, so it is
 * a PermanentError (dead-lettered at once, not retried).
 */
import { PermanentError, type BusHandler } from "../platform/bus/consumer";
import { registry, toRegisterInput } from "./registry";
import { HeartbeatBodySchema, RegisterBodySchema } from "./schemas";

function invalid(subject: string, issues: { path: PropertyKey[]; message: string }[]): PermanentError {
  const first = issues[0];
  return new PermanentError(`${subject} payload.${first?.path.map(String).join(".") ?? ""}: ${first?.message ?? "invalid"}`);
}

export const onRegister: BusHandler = async (event, env, log) => {
  const parsed = RegisterBodySchema.safeParse(event.payload);
  if (!parsed.success) throw invalid(event.type, parsed.error.issues);
  const input = await toRegisterInput(parsed.data);
  const { created } = await registry(env).register(input, event.metadata.traceparent);
  log.info("registered over the bus", { botz_id: input.botz_id, instance_id: input.instance_id, created });
};

export const onHeartbeat: BusHandler = async (event, env) => {
  const parsed = HeartbeatBodySchema.safeParse(event.payload);
  if (!parsed.success) throw invalid(event.type, parsed.error.issues);
  const result = await registry(env).heartbeat(parsed.data);
  // Queues do not keep order: a heartbeat may overtake its register, so an unknown instance is retried.
  if (!result.ok) throw new Error(`${event.type}: ${result.message}`);
};

export const botzBusHandlers = {
  "botz.register.v1": [onRegister],
  "botz.heartbeat.v1": [onHeartbeat],
} as const;
