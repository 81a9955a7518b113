/**
 * zod validation glue: every OpenAPIHono router uses this hook, so a bad body, query or path parameter is a
 * 400 in the one error shape, naming the field that failed.
 */
import { OpenAPIHono } from "@hono/zod-openapi";
import type { z } from "zod";
import type { AppEnv } from "./app-env";
import { AppError } from "./errors";

interface HookResult {
  success: boolean;
  target?: string;
  error?: z.ZodError;
}

function describeIssue(target: string, issue: z.core.$ZodIssue): { field: string; message: string } {
  const where = target === "json" ? "body" : target;
  const field = [where, ...issue.path.map(String)].join(".");
  return { field, message: issue.message };
}

/** Turns a zod failure into a 400 whose message and details name each bad field. */
export function validationHook(result: HookResult): void {
  if (result.success || !result.error) return;
  const target = result.target ?? "input";
  const issues = result.error.issues.map((issue) => describeIssue(target, issue));
  const first = issues[0];
  const message = first ? `${first.field}: ${first.message}` : "invalid input";
  throw new AppError(400, "invalid_input", message, { issues });
}

/** A router with botplane's validation hook, for each domain to add its routes to. */
export function createRouter(): OpenAPIHono<AppEnv> {
  return new OpenAPIHono<AppEnv>({ defaultHook: validationHook });
}
