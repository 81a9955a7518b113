/**
 * One entry point from untrusted JSON to a checked definition: the zod shape, then `checkDefinition`. Both
 * kinds of issue come out in the same words (`steps[2] (check_quality).true_steps[0]: …`), and
 * `definitionError` turns them into the 400 of the one error shape.
 */
import type { z } from "zod";
import { AppError } from "../../platform/errors";
import { checkDefinition, stepField, type DefinitionIssue } from "./definition-check";
import { WorkflowDefinitionSchema, type WorkflowDefinition } from "./definition-schema";

export type ParsedDefinition = { ok: true; definition: WorkflowDefinition } | { ok: false; issues: DefinitionIssue[] };

function idAt(raw: unknown, index: number): string | undefined {
  if (raw === null || typeof raw !== "object") return undefined;
  const steps = (raw as { steps?: unknown }).steps;
  if (!Array.isArray(steps)) return undefined;
  const step: unknown = steps[index];
  if (step === null || typeof step !== "object") return undefined;
  const id = (step as { id?: unknown }).id;
  return typeof id === "string" && id.length <= 64 ? id : undefined;
}

/** A zod issue in definition words: steps by index and id, then the field inside the step. */
export function describeZodIssue(raw: unknown, issue: z.core.$ZodIssue): DefinitionIssue {
  const [first, second, ...rest] = issue.path.map((p) => (typeof p === "symbol" ? String(p) : p));
  const message =
    issue.code === "invalid_union" && issue.discriminator === "type"
      ? "unknown step type (agent_task, api_call, condition, loop, parallel, wait, sub_workflow, transform)"
      : issue.message;
  if (first === "steps" && typeof second === "number") {
    const path = issue.code === "invalid_union" && rest.length === 0 ? ["type"] : rest;
    return { field: stepField(second, idAt(raw, second), path), message };
  }
  const path = [first, second, ...rest].filter((p) => p !== undefined);
  return { field: path.length === 0 ? "definition" : path.map(String).join("."), message };
}

export function parseDefinition(raw: unknown): ParsedDefinition {
  const parsed = WorkflowDefinitionSchema.safeParse(raw);
  if (!parsed.success) return { ok: false, issues: parsed.error.issues.map((i) => describeZodIssue(raw, i)) };
  const issues = checkDefinition(parsed.data);
  return issues.length > 0 ? { ok: false, issues } : { ok: true, definition: parsed.data };
}

/** The 400 for a definition that does not pass: the first issue in the message, all in details. */
export function definitionError(issues: DefinitionIssue[]): AppError {
  const first = issues[0];
  const message = first ? `${first.field}: ${first.message}` : "invalid workflow definition";
  return new AppError(400, "invalid_input", message, { issues });
}
