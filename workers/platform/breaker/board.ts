/**
 * The wire between isolates and the BreakerBoard Durable Object: the outcome report schema, the state the
 * board answers with, and a typed stub for its one instance.
 */
import { z } from "zod";
import type { BreakerBoard } from "../../../durable-objects/breaker-board";
import type { Env } from "../env";
import type { BreakerState } from "./state-machine";

export const BOARD_NAME = "default";
/** Outcomes per report; an isolate sends more in several reports. */
export const MAX_REPORT = 500;

export const outcomeReportSchema = z.object({
  component: z.string().min(1).max(256),
  outcome: z.enum(["success", "failure"]),
  at: z.number().finite().nonnegative(),
  /** The failure's message, for the ERROR event if this failure opens the breaker. */
  error: z.string().max(1000).optional(),
});

export const reportSchema = z.array(outcomeReportSchema).max(MAX_REPORT);

export type OutcomeReport = z.infer<typeof outcomeReportSchema>;

export interface ComponentState extends BreakerState {
  component: string;
}

type Method = (...args: never[]) => unknown;

/**
 * The board's public methods as plain promises (workers-types' RPC mapping is too deep for tsc on these
 * result unions; structured clone carries exactly these values).
 */
export type BreakerBoardRpc = {
  [K in keyof BreakerBoard as BreakerBoard[K] extends Method ? K : never]: BreakerBoard[K] extends (...args: infer A) => infer R
    ? (...args: A) => Promise<Awaited<R>>
    : never;
};

export function breakerBoard(env: Pick<Env, "BREAKERS">): BreakerBoardRpc {
  return env.BREAKERS.getByName(BOARD_NAME) as unknown as BreakerBoardRpc;
}
