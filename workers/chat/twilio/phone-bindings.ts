/**
 * The phone-binding table (D1 `phone_bindings`): which founder and workspace an E.164 number speaks for on
 * SMS and voice, the trust mode its sessions open at (never above the `sms` surface's ceiling), the session
 * its messages continue, and its STOP opt-out.
 */
import { eq } from "drizzle-orm";
import { z } from "@hono/zod-openapi";
import { createDb } from "../../platform/db/client";
import { phoneBindings } from "../../platform/db/schema";
import type { Env } from "../../platform/env";
import { ceilingFor, type TrustMode } from "../surfaces";

/** E.164: `+`, a non-zero country digit, at most 15 digits in all. */
export const E164Schema = z.string().regex(/^\+[1-9]\d{6,14}$/, "must be an E.164 number such as +15551230001");

export type PhoneBindingRow = typeof phoneBindings.$inferSelect;

export interface BindingInput {
  userId: string;
  workspaceId: string;
  trustMode: TrustMode;
}

/** The trust mode an SMS or voice session of this binding opens at: the binding's, capped by the surface. */
export function bindingCeiling(row: Pick<PhoneBindingRow, "trustMode">): TrustMode {
  return ceilingFor(row.trustMode as TrustMode, "sms");
}

export async function findBinding(env: Pick<Env, "DB">, phone: string): Promise<PhoneBindingRow | null> {
  const rows = await createDb(env.DB).select().from(phoneBindings).where(eq(phoneBindings.phone, phone)).limit(1);
  return rows[0] ?? null;
}

export async function listBindings(env: Pick<Env, "DB">): Promise<PhoneBindingRow[]> {
  return createDb(env.DB).select().from(phoneBindings).orderBy(phoneBindings.phone).limit(1000);
}

/**
 * Creates or replaces a binding; `created` says which. Rebinding a number to another founder or workspace
 * starts a new session (the old one belongs to someone else) and keeps an opt-out (STOP is the number's).
 */
export async function putBinding(
  env: Pick<Env, "DB">,
  phone: string,
  input: BindingInput,
  now = Date.now(),
): Promise<{ row: PhoneBindingRow; created: boolean }> {
  const before = await findBinding(env, phone);
  const sameOwner = before !== null && before.userId === input.userId && before.workspaceId === input.workspaceId;
  const row: PhoneBindingRow = {
    phone,
    userId: input.userId,
    workspaceId: input.workspaceId,
    trustMode: input.trustMode,
    sessionId: sameOwner ? before.sessionId : null,
    optedOutAt: before?.optedOutAt ?? null,
    createdAt: before?.createdAt ?? now,
    updatedAt: now,
  };
  await createDb(env.DB)
    .insert(phoneBindings)
    .values(row)
    .onConflictDoUpdate({
      target: phoneBindings.phone,
      set: {
        userId: row.userId,
        workspaceId: row.workspaceId,
        trustMode: row.trustMode,
        sessionId: row.sessionId,
        updatedAt: now,
      },
    });
  return { row, created: before === null };
}

export async function deleteBinding(env: Pick<Env, "DB">, phone: string): Promise<boolean> {
  const gone = await createDb(env.DB)
    .delete(phoneBindings)
    .where(eq(phoneBindings.phone, phone))
    .returning({ phone: phoneBindings.phone });
  return gone.length > 0;
}

/** STOP (a time) or START (null): the number's consent to be messaged. */
export async function setOptOut(env: Pick<Env, "DB">, phone: string, at: number | null): Promise<void> {
  await createDb(env.DB)
    .update(phoneBindings)
    .set({ optedOutAt: at, updatedAt: Date.now() })
    .where(eq(phoneBindings.phone, phone));
}

export async function setBindingSession(env: Pick<Env, "DB">, phone: string, sessionId: string): Promise<void> {
  await createDb(env.DB).update(phoneBindings).set({ sessionId }).where(eq(phoneBindings.phone, phone));
}
