/**
 * The wire between isolates and the BreakerBoard Durable Object: the outcome report schema, the state the
 * board answers with, and a typed stub for its one instance.
 */
import { z } from "zod";
import type { Env } from "../env";
import type { Result } from "../errors";
import type { BreakerState } from "./state-machine";
import { type RpcOf, stubAs } from "../rpc";

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

/** The BreakerBoard object's RPC contract; the class in durable-objects/ implements it. */
export interface BreakerBoardContract {
  /** Applies outcomes (oldest first) and returns every component's state as of now. */
  report(outcomes: readonly OutcomeReport[]): Promise<Result<{ states: ComponentState[] }>>;
  states(): ComponentState[];
  /** Runs the board's due work now (the cron tick calls it). */
  tick(): Promise<{ sent: number }>;
}

export type BreakerBoardRpc = RpcOf<BreakerBoardContract>;

export function breakerBoard(env: Pick<Env, "BREAKERS">): BreakerBoardRpc {
  return stubAs<BreakerBoardContract>(env.BREAKERS, BOARD_NAME);
}
