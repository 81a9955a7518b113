/**
 * The trust enforcer's audit log (D1 `chat_audit`): one row per access attempt, allowed or denied — who,
 * what, on which surface, the outcome and the denial's code. Credentials and phone numbers are masked here,
 * so no caller can write one in clear by mistake. The row is written before the answer leaves.
 */
import { chatAudit } from "../platform/db/schema";
import { createDb } from "../platform/db/client";
import type { Env } from "../platform/env";
import { maskCredential, maskPhones } from "./mask";

export interface AccessAttempt {
  founderId?: string | null | undefined;
  workspaceId?: string | null | undefined;
  operation: string;
  surface?: string | null | undefined;
  outcome: "allowed" | "denied";
  code?: string | undefined;
  trustMode?: number | undefined;
  credential?: string | null | undefined;
  detail?: string | undefined;
}

export async function recordAccess(env: Pick<Env, "DB">, attempt: AccessAttempt, now = Date.now()): Promise<void> {
  await createDb(env.DB)
    .insert(chatAudit)
    .values({
      id: crypto.randomUUID(),
      at: now,
      founderId: attempt.founderId ?? null,
      workspaceId: attempt.workspaceId ?? null,
      operation: attempt.operation,
      surface: attempt.surface ?? null,
      outcome: attempt.outcome,
      code: attempt.code ?? null,
      trustMode: attempt.trustMode ?? null,
      credential: maskCredential(attempt.credential),
      detail: attempt.detail === undefined ? null : maskPhones(attempt.detail).slice(0, 500),
    });
}
