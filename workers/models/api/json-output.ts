/**
 * JSON functions: the JSON mode a request asks its provider for (a json function's output schema wins over
 * the caller's), and the output's `parsed` value checked against that schema.
 */
import { Validator } from "@cfworker/json-schema";
import type { FunctionConfig } from "../config/types";
import type { ChatRequest } from "../types";

/** The provider-side JSON mode and the schema the answer is checked against, if any. */
export function jsonRequest(
  fn: FunctionConfig | undefined,
  requested: ChatRequest["json"],
): { json: ChatRequest["json"]; schema?: Record<string, unknown> | undefined } {
  if (fn?.type === "json") {
    return fn.outputSchema
      ? { json: { mode: "json_schema", name: fn.name, schema: fn.outputSchema }, schema: fn.outputSchema }
      : { json: { mode: "json_object" } };
  }
  return { json: requested };
}

/** JSON output of a json function: `parsed` is null when the text is not JSON or misses the schema. */
export function parseJsonOutput(raw: string, schema: Record<string, unknown> | undefined): unknown {
  let parsed: unknown;
  try {
    parsed = JSON.parse(raw);
  } catch {
    return null;
  }
  if (!schema) return parsed;
  return new Validator(schema as ConstructorParameters<typeof Validator>[0], "2020-12", false).validate(parsed).valid
    ? parsed
    : null;
}
