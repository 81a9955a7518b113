/**
 * The wire between isolates and the BreakerBoard Durable Object: the outcome report schema, the state the
 * board answers with, and a typed stub for its one instance.
 */
import { z } from "zod";
import type { BreakerBoard } from "../../../durable-objects/breaker-board";
import type { Env } from "../env";
import type { BreakerState } from "./state-machine";
import { type RpcOf, stubOf } from "../rpc";

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

export type BreakerBoardRpc = RpcOf<BreakerBoard>;

export function breakerBoard(env: Pick<Env, "BREAKERS">): BreakerBoardRpc {
  return stubOf(env.BREAKERS, BOARD_NAME);
}
