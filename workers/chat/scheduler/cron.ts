/**
 * Cron expressions and time zones for the chat scheduler, through croner: a job's schedule is a classic
 * five-field expression (minute hour day-of-month month day-of-week — the Cron Trigger ticks once a minute, so
 * seconds would mean nothing) read in the founder's IANA time zone, DST included.
 */
import { Cron } from "croner";

/** A valid IANA zone name (or `UTC`); the runtime's Intl data is the authority. */
export function isTimeZone(zone: string): boolean {
  if (zone.length === 0 || zone.length > 64) return false;
  try {
    new Intl.DateTimeFormat("en-US", { timeZone: zone });
    return true;
  } catch {
    return false;
  }
}

function cronOf(expression: string, timeZone: string): Cron {
  // croner reads a string with ':' as a one-off date, not a pattern: only the five fields are accepted here.
  if (!/^\S+(\s+\S+){4}$/.test(expression.trim()) || expression.includes(":"))
    throw new Error("expected five fields: minute hour day-of-month month day-of-week");
  return new Cron(expression.trim(), { timezone: timeZone, mode: "5-part", paused: true });
}

/** Why the expression is not usable, or null when it is (it must also fire at least once more). */
export function cronProblem(expression: string, timeZone = "UTC", now = Date.now()): string | null {
  try {
    if (cronOf(expression, timeZone).nextRun(new Date(now)) === null) return "the expression never fires again";
    return null;
  } catch (err) {
    return err instanceof Error ? err.message : "invalid cron expression";
  }
}

/** The first firing strictly after `afterMs`, in epoch ms; null when there is none (or the expression is bad). */
export function nextRunAfter(expression: string, timeZone: string, afterMs: number): number | null {
  try {
    return cronOf(expression, timeZone).nextRun(new Date(afterMs))?.getTime() ?? null;
  } catch {
    return null;
  }
}
