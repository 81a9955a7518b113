/**
 * Wire shapes of the scheduler's routes and tools (zod, documented in /openapi.json). A schedule is checked
 * by croner here, so a bad one is a 400 naming `body.schedule`; a time zone must be one the runtime knows.
 */
import { z } from "@hono/zod-openapi";
import { PROMPT_SURFACES } from "../../platform/db/schema";
import { SURFACES } from "../surfaces";
import { cronProblem, isTimeZone } from "./cron";
import { JOB_TYPES } from "./job-types";

/** A five-field cron expression croner accepts and that fires again: the routes' and the tools' check. */
export const CronExpressionSchema = z
  .string()
  .min(1)
  .max(100)
  .superRefine((value, ctx) => {
    const problem = cronProblem(value);
    if (problem) ctx.addIssue({ code: "custom", message: `not a usable cron expression: ${problem}` });
  });

export const CronSchema = CronExpressionSchema.openapi({
  description: "Five-field cron (minute hour day-of-month month day-of-week) in the founder's time zone",
  example: "0 9 * * 1-5",
});

export const TimeZoneSchema = z
  .string()
  .refine(isTimeZone, "must be an IANA time zone such as America/New_York")
  .openapi({ example: "America/New_York" });

export const JobTypeSchema = z.enum(JOB_TYPES);

export const JobQuerySchema = z.object({
  surface: z.enum(SURFACES).default("web"),
  /** The mode to act at; defaults to the ceiling. Mode 3 reads and writes the Sovereign (`wbs`) jobs. */
  trust_mode: z.coerce.number().int().min(0).max(3).optional(),
});

export const JobParamSchema = z.object({
  id: z
    .string()
    .uuid()
    .openapi({ param: { name: "id", in: "path" } }),
});

export const JobCreateSchema = z
  .object({ type: JobTypeSchema, schedule: CronSchema, enabled: z.boolean().default(true) })
  .openapi("ScheduledJobRequest");

export const JobPatchSchema = z
  .object({ type: JobTypeSchema.optional(), schedule: CronSchema.optional(), enabled: z.boolean().optional() })
  .refine((b) => Object.keys(b).length > 0, "name at least one of type, schedule, enabled")
  .openapi("ScheduledJobPatch");

export const JobSchema = z
  .object({
    id: z.string(),
    founder_id: z.string(),
    workspace_id: z.string(),
    type: JobTypeSchema,
    description: z.string(),
    schedule: z.string(),
    enabled: z.boolean(),
    time_zone: z.string(),
    last_run: z.string().nullable(),
    next_run: z.string().nullable(),
    trust_mode: z.number().int(),
    session_id: z.string().nullable(),
    created_at: z.string(),
    updated_at: z.string(),
  })
  .openapi("ScheduledJob");

export const PreferencesSchema = z
  .object({
    time_zone: z.string(),
    prompt_surface: z.enum(PROMPT_SURFACES),
    updated_at: z.string().nullable(),
  })
  .openapi("ChatPreferences");

export const PreferencesBodySchema = z
  .object({ time_zone: TimeZoneSchema.optional(), prompt_surface: z.enum(PROMPT_SURFACES).optional() })
  .refine((b) => Object.keys(b).length > 0, "name time_zone, prompt_surface or both")
  .openapi("ChatPreferencesRequest");
