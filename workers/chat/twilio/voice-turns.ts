/**
 * A voice call's turns: the caller's speech stored (D1 `voice_turns`) and handed to the bus as
 * `chat.voice.turn.v1`, whose handler runs the chat turn and stores the answer there; the call's
 * `<Redirect>` loop reads it back by turn id and CallSid. Durable like SMS: a crash between the webhook and
 * the answer loses nothing, the redelivered event fills the same row.
 */
import { and, eq, isNull, sql } from "drizzle-orm";
import { z } from "zod";
import { PermanentError, type BusHandler } from "../../platform/bus/consumer";
import type { BusEvent } from "../../platform/bus/envelope";
import { createEvent } from "../../platform/bus/envelope";
import { publish } from "../../platform/bus/publish";
import { createDb } from "../../platform/db/client";
import { voiceTurns } from "../../platform/db/schema";
import type { Env } from "../../platform/env";
import type { Logger } from "../../platform/logger";
import type { GatewayModel } from "../../platform/model-port";
import { findBinding } from "./phone-bindings";
import { phoneTurn } from "./phone-turn";

export const VOICE_TURN = "chat.voice.turn.v1";

const PayloadSchema = z.object({ turn_id: z.uuid() });

export type VoiceTurnRow = typeof voiceTurns.$inferSelect;

/** Stores what the caller said and publishes the work; resolves to the turn's id. */
export async function startVoiceTurn(
  env: Env,
  input: { callSid: string; phone: string; speech: string },
  traceparent: string | undefined,
): Promise<string> {
  const id = crypto.randomUUID();
  await createDb(env.DB)
    .insert(voiceTurns)
    .values({ id, ...input, answer: null, polls: 0, createdAt: Date.now() });
  await publish(env, [
    createEvent({
      type: VOICE_TURN,
      source: "chat",
      payload: { turn_id: id },
      correlationId: `voice:${input.callSid}`,
      traceparent,
    }),
  ]);
  return id;
}

/** The turn, if it belongs to this call; counts one more wait when its answer is not ready. */
export async function pollVoiceTurn(env: Pick<Env, "DB">, id: string, callSid: string): Promise<VoiceTurnRow | null> {
  const db = createDb(env.DB);
  const [row] = await db
    .update(voiceTurns)
    .set({ polls: sql`${voiceTurns.polls} + 1` })
    .where(and(eq(voiceTurns.id, id), eq(voiceTurns.callSid, callSid)))
    .returning();
  return row ?? null;
}

async function answerTurn(event: BusEvent, env: Env, log: Logger, model: GatewayModel): Promise<void> {
  const parsed = PayloadSchema.safeParse(event.payload);
  if (!parsed.success) throw new PermanentError(`${event.type}: payload.turn_id must be a UUID`);
  const db = createDb(env.DB);
  const [row] = await db.select().from(voiceTurns).where(eq(voiceTurns.id, parsed.data.turn_id));
  if (!row) throw new PermanentError(`${event.type}: no voice turn ${parsed.data.turn_id}`);
  if (row.answer !== null) return;
  const binding = await findBinding(env, row.phone);
  const answer = binding
    ? await phoneTurn(env, model, binding, row.speech, event.metadata.traceparent ?? "", log)
    : "This number is no longer linked to an assistant. Goodbye.";
  await db
    .update(voiceTurns)
    .set({ answer })
    .where(and(eq(voiceTurns.id, row.id), isNull(voiceTurns.answer)));
}

export function voiceBusHandlers(model: GatewayModel): Record<string, BusHandler[]> {
  return {
    [VOICE_TURN]: [{ name: "chat.voice.answer", run: (event, env, log) => answerTurn(event, env, log, model) }],
  };
}
