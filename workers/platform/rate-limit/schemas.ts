/**
 * zod schemas for `/api/v1/config/rate_limits`, in seed 002's shape (`strategy`, `capacity`,
 * `refill_rate: "100/hour"`, `burst_capacity`), and the one conversion between `refill_rate` and the
 * per-hour figure D1 stores.
 */
import { z } from "@hono/zod-openapi";

export const MAX_CAPACITY = 1_000_000;
export const MAX_BURST = 100_000;
/** A million tokens a second, in any unit. */
export const MAX_REFILL_PER_HOUR = 3_600_000_000;

const PER_HOUR = { second: 3600, minute: 60, hour: 1, day: 1 / 24 } as const;
const RATE = /^([1-9][0-9]{0,12})\/(second|minute|hour|day)$/;
const RATE_HINT = "must be '<n>/second|minute|hour|day' with a positive whole n, or a positive whole number per hour";

/** `"100/hour"` or `100` (per hour) → tokens per hour; null when malformed or out of range. */
export function refillPerHour(rate: string | number): number | null {
  let perHour: number;
  if (typeof rate === "number") {
    if (!Number.isSafeInteger(rate) || rate <= 0) return null;
    perHour = rate;
  } else {
    const m = RATE.exec(rate.trim());
    if (!m) return null;
    perHour = Number(m[1]) * PER_HOUR[m[2] as keyof typeof PER_HOUR];
  }
  return perHour <= MAX_REFILL_PER_HOUR ? perHour : null;
}

/** The largest unit that keeps n whole, so `"2/minute"` reads back as it was written. */
export function formatRefill(perHour: number): string {
  if (perHour % 3600 === 0) return `${perHour / 3600}/second`;
  if (perHour % 60 === 0) return `${perHour / 60}/minute`;
  if (Number.isInteger(perHour)) return `${perHour}/hour`;
  return `${Math.round(perHour * 24)}/day`;
}

const KEY = /^[^*]+\*?$/;

export const LimitInputSchema = z
  .object({
    key: z.string().min(1).max(256).regex(KEY, "a '*' may only end the key, after a prefix").openapi({
      description: "An exact limit key, a prefix pattern ending in '*', or 'default'",
      example: "publish:alice",
    }),
    strategy: z.literal("token_bucket").default("token_bucket"),
    capacity: z
      .number()
      .int()
      .positive()
      .max(MAX_CAPACITY)
      .openapi({ description: "Sustained bucket size", example: 100 }),
    refill_rate: z
      .union([z.string(), z.number()])
      .refine((v) => refillPerHour(v) !== null, RATE_HINT)
      .openapi({
        description: "Sustained refill: '<n>/second|minute|hour|day', or a number per hour",
        example: "100/hour",
      }),
    burst_capacity: z
      .number()
      .int()
      .positive()
      .max(MAX_BURST)
      .openapi({ description: "Burst bucket: this many tokens, refilled this many per second", example: 10 }),
  })
  .openapi("RateLimitInput");

export const PutLimitsBodySchema = z
  .object({ limits: z.array(LimitInputSchema).min(1).max(100) })
  .superRefine((body, ctx) => {
    const seen = new Set<string>();
    body.limits.forEach((l, i) => {
      if (seen.has(l.key))
        ctx.addIssue({ code: "custom", path: ["limits", i, "key"], message: `duplicate key '${l.key}'` });
      seen.add(l.key);
    });
  })
  .openapi("PutRateLimitsRequest");

export const LimitSchema = z
  .object({
    key: z.string(),
    strategy: z.literal("token_bucket"),
    capacity: z.number().int(),
    refill_rate: z.string().openapi({ example: "100/hour" }),
    refill_per_hour: z.number(),
    burst_capacity: z.number().int(),
    updated_at: z.string().nullable(),
    updated_by: z.string().nullable(),
  })
  .openapi("RateLimit");

export const LimitsSchema = z
  .object({
    defaults: LimitSchema.extend({ source: z.enum(["seed", "stored"]) }).openapi({
      description: "What a key with no matching row gets",
    }),
    limits: z.array(LimitSchema).openapi({ description: "Every stored row, exact keys and prefix patterns" }),
    resolution: z.string(),
    propagation_ms: z.number().int().openapi({ description: "Upper bound for a change to reach every isolate" }),
  })
  .openapi("RateLimits");
