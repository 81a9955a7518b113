/**
 * The Session object's RPC vocabulary (seed 003 `Session`): what the chat gateway sends and gets back. Every
 * argument is parsed with these schemas inside the object.
 */
import { z } from "zod";

export const SESSION_SURFACES = ["web", "extension", "sms", "discord"] as const;

const ttlMs = z
  .number()
  .int()
  .min(1000)
  .max(30 * 24 * 3600_000);
const founderId = z.string().min(1).max(128);

export const OpenSessionSchema = z.object({
  id: z.string().min(1).max(128),
  founderId,
  workspaceId: z.string().min(1).max(128),
  trustMode: z.number().int().min(0).max(3),
  surface: z.enum(SESSION_SURFACES),
  ttlMs,
  /** false: resume only; a missing session is 404. */
  create: z.boolean(),
});

export const AppendTurnsSchema = z.object({
  founderId,
  ttlMs,
  turns: z
    .array(z.object({ role: z.enum(["user", "assistant"]), text: z.string().max(200_000) }))
    .min(1)
    .max(20),
});

export const FoldSchema = z.object({
  founderId,
  /** Turns up to and including this seq are replaced by `summary`. */
  upToSeq: z.number().int().nonnegative(),
  summary: z.string().max(200_000),
  /** The summary version the fold was computed from; a fold racing another is refused (409). */
  summaryVersion: z.number().int().nonnegative(),
});

export type OpenSessionInput = z.infer<typeof OpenSessionSchema>;
export type AppendTurnsInput = z.infer<typeof AppendTurnsSchema>;
export type FoldInput = z.infer<typeof FoldSchema>;

export interface Turn {
  seq: number;
  role: "user" | "assistant";
  text: string;
  /** Estimated tokens (about four characters each). */
  tokens: number;
  at: number;
}

export interface SessionState {
  id: string;
  founderId: string;
  workspaceId: string;
  trustMode: 0 | 1 | 2 | 3;
  surface: (typeof SESSION_SURFACES)[number];
  /** The rolling summary of every turn folded out of `context`; null until the first fold. */
  summary: string | null;
  summaryVersion: number;
  context: Turn[];
  createdAt: number;
  lastActiveAt: number;
  expiresAt: number;
}

/** A rough token count: about four characters a token, plus a little per message. */
export function estimateTokens(text: string): number {
  return Math.ceil(text.length / 4) + 4;
}
