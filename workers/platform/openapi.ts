/**
 * Shared OpenAPI pieces: the error schema every route documents, and the security schemes. Keeping them
 * here means `/openapi.json` describes the one error shape the same way everywhere.
 */
import { z } from "@hono/zod-openapi";

export const ErrorSchema = z
  .object({
    error: z.object({
      code: z.string().openapi({ example: "invalid_input" }),
      message: z.string().openapi({ example: "body.skill_level: Invalid option" }),
      details: z.unknown().optional(),
    }),
  })
  .openapi("Error");

const DESCRIPTIONS: Record<number, string> = {
  400: "Invalid input; the message names the field",
  401: "Missing or invalid credentials",
  403: "Credentials lack the required scope, or the action is not allowed",
  404: "Not found",
  409: "Conflict with the current state",
  413: "Body too large",
  415: "Unsupported content type",
  429: "Rate limited; see Retry-After",
};

type ErrorStatus = 400 | 401 | 403 | 404 | 409 | 413 | 415 | 429;

/** Documents the listed error statuses with the shared error schema. */
export function errorResponses<S extends ErrorStatus>(...statuses: S[]) {
  const out = {} as Record<S, { description: string; content: { "application/json": { schema: typeof ErrorSchema } } }>;
  for (const status of statuses) {
    out[status] = {
      description: DESCRIPTIONS[status] ?? "Error",
      content: { "application/json": { schema: ErrorSchema } },
    };
  }
  return out;
}

/** Routes that need a token or API key declare this. */
export const bearerSecurity: Record<string, string[]>[] = [{ bearer: [] }, { apiKey: [] }];

/** `{ content: { "application/json": { schema } } }`, the body/response shape every JSON route repeats. */
export function jsonContent<T>(schema: T): { content: { "application/json": { schema: T } } } {
  return { content: { "application/json": { schema } } };
}
