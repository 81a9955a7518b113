/**
 * Who owns a workspace: the founder on its `workspaces` rows (every namespace must agree), or, before any
 * row exists, the founder whose token names it (`workspace_id`, else their personal workspace). Routes that
 * show or rebuild a workspace answer 404 to anyone else, never revealing that it exists.
 */
import { eq } from "drizzle-orm";
import { createDb } from "../../platform/db/client";
import { workspaces } from "../../platform/db/schema";
import type { Env } from "../../platform/env";
import { AppError } from "../../platform/errors";
import type { ChatCaller } from "../claims";

export async function ownsWorkspace(
  env: Pick<Env, "DB">,
  caller: Pick<ChatCaller, "founderId" | "workspaceId">,
  workspaceId: string,
): Promise<boolean> {
  const rows = await createDb(env.DB)
    .select({ founderId: workspaces.founderId })
    .from(workspaces)
    .where(eq(workspaces.id, workspaceId));
  if (rows.length > 0) return rows.every((r) => r.founderId === caller.founderId);
  return caller.workspaceId === workspaceId;
}

export function workspaceNotFound(workspaceId: string): AppError {
  return new AppError(404, "workspace_not_found", `no workspace '${workspaceId}' of yours`, {
    workspace_id: workspaceId,
  });
}
