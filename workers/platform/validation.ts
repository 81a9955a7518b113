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
  data?: unknown;
}

type Issue = z.core.$ZodIssue;

function valueAt(input: unknown, path: readonly PropertyKey[]): unknown {
  let v = input;
  for (const key of path)
    v = v !== null && typeof v === "object" ? (v as Record<PropertyKey, unknown>)[key] : undefined;
  return v;
}

/**
 * A failed union says only "Invalid input" at the union's path. Report instead the issues of the branch the
 * caller evidently meant: the one whose failing fields the input actually has (then the fewest issues).
 */
function expandUnions(issue: Issue, input: unknown): Issue[] {
  if (issue.code !== "invalid_union" || issue.errors.length === 0) return [issue];
  const here = valueAt(input, issue.path);
  const score = (branch: Issue[]) => branch.filter((i) => valueAt(here, i.path.slice(0, 1)) !== undefined).length;
  const best = [...issue.errors].sort((a, b) => score(b) - score(a) || a.length - b.length)[0] ?? [];
  return best.flatMap((i) => expandUnions({ ...i, path: [...issue.path, ...i.path] }, input));
}

function describeIssue(target: string, issue: Issue): { field: string; message: string } {
  const where = target === "json" ? "body" : target;
  const field = [where, ...issue.path.map(String)].join(".");
  return { field, message: issue.message };
}

/** Turns a zod failure into a 400 whose message and details name each bad field. */
export function validationHook(result: HookResult): void {
  if (result.success || !result.error) return;
  const target = result.target ?? "input";
  const issues = result.error.issues
    .flatMap((issue) => expandUnions(issue, result.data))
    .map((issue) => describeIssue(target, issue));
  const first = issues[0];
  const message = first ? `${first.field}: ${first.message}` : "invalid input";
  throw new AppError(400, "invalid_input", message, { issues });
}

/** A router with botplane's validation hook, for each domain to add its routes to. */
export function createRouter(): OpenAPIHono<AppEnv> {
  return new OpenAPIHono<AppEnv>({ defaultHook: validationHook });
}
