/**
 * A job row as routes and tools show it: ISO times, the description of its type, the founder's time zone.
 */
import type { JobRow } from "./job-store";
import { JOB_DESCRIPTIONS, JOB_TYPES, type JobType } from "./job-types";

const iso = (ms: number | null) => (ms === null ? null : new Date(ms).toISOString());

function typeOf(row: JobRow): JobType {
  const t = row.type;
  return t !== null && (JOB_TYPES as readonly string[]).includes(t) ? t : "maintenance";
}

export function presentJob(row: JobRow, timeZone: string) {
  const type = typeOf(row);
  return {
    id: row.id,
    founder_id: row.founderId,
    workspace_id: row.workspaceId,
    type,
    description: JOB_DESCRIPTIONS[type],
    schedule: row.schedule ?? "",
    enabled: row.enabled,
    time_zone: timeZone,
    last_run: iso(row.lastRun),
    next_run: iso(row.nextRun),
    trust_mode: row.trustMode,
    session_id: row.sessionId,
    created_at: new Date(row.createdAt).toISOString(),
    updated_at: new Date(row.updatedAt).toISOString(),
  };
}
