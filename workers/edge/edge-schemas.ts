/**
 * The edge routes' shared request pieces: the device id path parameter, the `?wait=` duration (`5s`,
 * `1500ms`, or bare seconds) and the device check every device-facing route makes.
 */
import { z } from "@hono/zod-openapi";
import { deviceIdSchema } from "../../durable-objects/protocol";
import type { Principal } from "../platform/app-env";
import { AppError } from "../platform/errors";

export const DeviceParamsSchema = z.object({
  device_id: deviceIdSchema.openapi({ param: { name: "device_id", in: "path" }, example: "pi-kitchen" }),
});

/** `?wait=` as milliseconds, capped at `maxMs`. */
export function waitSchema(defaultMs: number, maxMs: number) {
  return z
    .string()
    .regex(/^\d{1,6}(ms|s)?$/, "a duration such as 5s or 1500ms")
    .transform((v) => (v.endsWith("ms") ? Number(v.slice(0, -2)) : Number(v.replace(/s$/, "")) * 1000))
    .refine((ms) => ms <= maxMs, `at most ${maxMs / 1000}s`)
    .optional()
    .transform((ms) => ms ?? defaultMs)
    .openapi({ param: { name: "wait", in: "query" }, example: "5s" });
}

/** A device token acts only as its own device (`sub` = the path's device id), admin or not. */
export function requireDevice(principal: Principal, deviceId: string): void {
  if (principal.sub !== deviceId) {
    throw new AppError(403, "forbidden", `this token is for '${principal.sub}', not device '${deviceId}'`, {
      required: `sub = ${deviceId}`,
    });
  }
}
