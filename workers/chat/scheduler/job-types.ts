/**
 * The scheduler's job types (seed 003 "Scheduler (Cron)": `standup | eod | weekly | maintenance`, plus the
 * seed's monthly recalibration and rolling summary generation) and what each one asks the model. Prompt jobs
 * become a chat turn whose reply reaches the founder; `summary` and `maintenance` work without a prompt.
 */
import { SCHEDULED_JOB_TYPES } from "../../platform/db/schema";

export const JOB_TYPES = SCHEDULED_JOB_TYPES;
export type JobType = (typeof JOB_TYPES)[number];
export type PromptJobType = Exclude<JobType, "summary" | "maintenance">;

export const JOB_DESCRIPTIONS: Record<JobType, string> = {
  standup: "Daily standup prompt",
  eod: "End-of-day reflection",
  weekly: "Weekly planning prompt",
  monthly: "Monthly recalibration",
  summary: "Rolling summary generation (no prompt: folds recent transcripts into a summary)",
  maintenance: "Maintenance (no prompt: prunes what has expired)",
};

/** The message a prompt job puts to the model on the founder's behalf; the model writes the actual prompt. */
export const JOB_PROMPTS: Record<PromptJobType, string> = {
  standup:
    "[Scheduled daily standup] Open the founder's daily standup: in a few lines, ask what they did yesterday, what they will do today and what blocks them, referring to their goals and checklists where you can.",
  eod: "[Scheduled end-of-day reflection] Ask the founder to reflect on the day: what moved forward, what did not, and one thing to do first tomorrow.",
  weekly:
    "[Scheduled weekly planning] Start the founder's weekly planning: recap last week's progress against their goals and ask for this week's three priorities.",
  monthly:
    "[Scheduled monthly recalibration] Lead a monthly recalibration: ask whether the business stage, goals and targets still hold, and what should change.",
};

export function isPromptJob(type: JobType): type is PromptJobType {
  return type !== "summary" && type !== "maintenance";
}
