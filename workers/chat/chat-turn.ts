/**
 * One chat turn: open or resume the session with its trust ceiling, build the context (rolling summary +
 * turns in context + the new message), run the model with the surface's tools, loop model → tool → model
 * to a bounded depth (a tool above the ceiling is never run: its result tells the model so), keep the reply
 * within the surface's length, store both turns, fold the context if over budget, write the transcript.
 * Around the model: the workspace's budget (spent → local/free tiers only, said once) and recalled earlier
 * turns before it, the turn's cost and its embedding for recall after it.
 * With `onToken`, each model round is streamed and its text deltas handed over as they arrive.
 */
import { chatSession, type SessionRpc } from "../../durable-objects/session-client";
import type { SessionState } from "../../durable-objects/session-contract";
import type { Env } from "../platform/env";
import { unwrap } from "../platform/errors";
import type { Logger } from "../platform/logger";
import { recordAccess } from "./audit";
import { formatReply } from "./reply-format";
import { chatConfig } from "./config";
import { foldIfOverBudget } from "./context-fold";
import type { Admitted } from "./enforcer";
import { MemoryStore } from "./memory-store";
import type {
  ChatMessage,
  GatewayModel,
  ContentBlock,
  Deferrer,
  ModelCall,
  ModelReply,
  ModelServed,
  ModelUsage,
} from "../platform/model-port";
import { namespaceOf, SURFACE_POLICIES, type Surface, type TrustMode } from "./surfaces";
import { recordTurnCost, turnBudget } from "./budget/budget-gate";
import { recall, recallSection, remember } from "./recall/recall";
import { memoryTools } from "./tools/memory-tools";
import { scheduleTools } from "./tools/schedule-tools";
import { ToolRegistry } from "./tools/registry";

export interface TurnRequest {
  admitted: Admitted;
  sessionId?: string | undefined;
  message: string;
  trustMode: TrustMode;
}

export interface TurnDeps {
  env: Env;
  ctx: Deferrer;
  model: GatewayModel;
  log: Logger;
  traceparent: string;
  onToken?: ((text: string) => void) | undefined;
}

export interface ToolCallRecord {
  name: string;
  status: "ok" | "not_allowed" | "error";
}

export interface TurnResult {
  session_id: string;
  reply: string;
  trust_mode: number;
  surface: string;
  usage: ModelUsage;
  cost_usd: number | null;
  model: { variant: string; provider: string; model: string } | null;
  tool_calls: ToolCallRecord[];
  context: { turns: number; folded: number; summarized: boolean };
}

function systemPrompt(session: SessionState): string {
  const policy = SURFACE_POLICIES[session.surface];
  const lines = [
    "You are Wirebot, a founder's business assistant.",
    `Surface: ${session.surface}. Reply in ${policy.format === "markdown" ? "markdown" : "plain text, no markdown"}, at most ${policy.replyLength} characters.`,
    `This session's trust mode is ${session.trustMode}. When a tool answers not_allowed, say which trust mode it would need.`,
  ];
  if (session.summary) lines.push(`Summary of the earlier conversation:\n${session.summary}`);
  return lines.join("\n");
}

const textOf = (blocks: readonly ContentBlock[]) => blocks.flatMap((b) => (b.type === "text" ? [b.text] : [])).join("");

async function streamRound(deps: TurnDeps, call: ModelCall, onToken: (t: string) => void): Promise<ModelReply> {
  const s = await deps.model.stream(deps.env, deps.ctx, call);
  let text = "";
  const calls = new Map<number, { id: string; name: string; arguments: string }>();
  for await (const ev of s.events) {
    if (ev.type === "text_delta") {
      text += ev.text;
      onToken(ev.text);
    } else if (ev.type === "tool_call_delta") {
      const c = calls.get(ev.index) ?? { id: "", name: "", arguments: "" };
      calls.set(ev.index, {
        id: ev.id ?? c.id,
        name: ev.name ?? c.name,
        arguments: c.arguments + ev.arguments_delta,
      });
    }
  }
  const done = await s.done;
  const content: ContentBlock[] = text ? [{ type: "text", text }] : [];
  for (const c of calls.values()) content.push({ type: "tool_call", ...c });
  return { content, usage: done.usage, costUsd: done.costUsd, served: s.served };
}

interface Conversation {
  call: Omit<ModelCall, "messages" | "tools">;
  /** The context and the new message; tool rounds are appended to it. */
  messages: ChatMessage[];
  registry: ToolRegistry;
  surface: Surface;
  ceiling: TrustMode;
  audit: (tool: string, status: ToolCallRecord["status"]) => Promise<void>;
}

interface Conversed {
  reply: string;
  usage: ModelUsage;
  cost: number | null;
  served: ModelServed;
  toolCalls: ToolCallRecord[];
}

/** Model → tools → model until the model answers in words or the depth bound is reached. */
async function converse(deps: TurnDeps, conv: Conversation): Promise<Conversed> {
  const { env } = deps;
  const maxDepth = chatConfig(env).toolMaxDepth;
  const usage: ModelUsage = { input_tokens: 0, output_tokens: 0 };
  let cost: number | null = null;
  const toolCalls: ToolCallRecord[] = [];
  const tools = conv.registry.specsFor(conv.surface);
  for (let depth = 0; ; depth += 1) {
    // Past the depth bound the model is asked once more without tools, so the turn ends in words.
    const offer = depth < maxDepth && tools.length > 0 ? tools : undefined;
    const call: ModelCall = { ...conv.call, messages: conv.messages, tools: offer };
    const answer = deps.onToken
      ? await streamRound(deps, call, deps.onToken)
      : await deps.model.complete(env, deps.ctx, call);
    usage.input_tokens += answer.usage.input_tokens;
    usage.output_tokens += answer.usage.output_tokens;
    if (answer.costUsd !== undefined) cost = (cost ?? 0) + answer.costUsd;
    const calls = answer.content.filter((b) => b.type === "tool_call");
    if (calls.length === 0 || offer === undefined)
      return { reply: textOf(answer.content), usage, cost, served: answer.served, toolCalls };
    conv.messages.push({ role: "assistant", content: answer.content });
    const results: ContentBlock[] = [];
    for (const tc of calls) {
      const outcome = await conv.registry.run(tc.name, tc.arguments, conv.surface, conv.ceiling);
      toolCalls.push({ name: tc.name, status: outcome.status });
      await conv.audit(tc.name, outcome.status);
      results.push({ type: "tool_result", id: tc.id, name: tc.name, result: JSON.stringify(outcome.result) });
    }
    conv.messages.push({ role: "tool", content: results });
  }
}

/**
 * The seed's promise for a tool above the ceiling: the reply says what would need a higher mode. The model is
 * asked to; when its words do not mention the trust mode, this line says it for every refused tool.
 */
export function refusalNote(
  done: Pick<Conversed, "reply" | "toolCalls">,
  registry: Pick<ToolRegistry, "minTrustOf">,
  ceiling: TrustMode,
): string {
  const refused = [...new Set(done.toolCalls.filter((t) => t.status === "not_allowed").map((t) => t.name))];
  if (refused.length === 0 || /trust mode/i.test(done.reply)) return "";
  const needs = refused.map((name) => `${name} needs trust mode ${registry.minTrustOf(name) ?? "?"}`).join("; ");
  return `${done.reply ? "\n\n" : ""}(${needs}; this session is at trust mode ${ceiling}.)`;
}

export interface OpenedTurn {
  stub: SessionRpc;
  session: SessionState;
}

/** Creates or resumes the turn's session; 404 for a missing, expired, foreign or higher-mode one. */
export async function openTurn(req: TurnRequest, env: Env): Promise<OpenedTurn> {
  const { caller, surface } = req.admitted;
  const sessionId = req.sessionId ?? crypto.randomUUID();
  const stub = chatSession(env, sessionId);
  const opened = unwrap(
    await stub.open({
      id: sessionId,
      founderId: caller.founderId,
      workspaceId: caller.workspaceId,
      trustMode: req.trustMode,
      surface,
      ttlMs: chatConfig(env).sessionTtlMs,
      create: req.sessionId === undefined,
    }),
  );
  return { stub, session: opened.session };
}

export async function runTurn(req: TurnRequest, opened: OpenedTurn, deps: TurnDeps): Promise<TurnResult> {
  const { env } = deps;
  const config = chatConfig(env);
  const { caller, surface } = req.admitted;
  const { stub, session } = opened;
  const ceiling = session.trustMode;
  const store = new MemoryStore(env, {
    founderId: caller.founderId,
    workspaceId: session.workspaceId,
    namespace: namespaceOf(ceiling),
  });
  const registry = new ToolRegistry([
    ...memoryTools(store),
    ...scheduleTools(env, {
      founderId: caller.founderId,
      workspaceId: session.workspaceId,
      namespace: namespaceOf(ceiling),
      trustMode: ceiling,
    }),
  ]);
  const recallScope = { workspaceId: session.workspaceId, namespace: namespaceOf(ceiling), sessionId: session.id };
  const recallDeps = { env, ctx: deps.ctx, model: deps.model, log: deps.log };
  const [budget, recalled] = await Promise.all([
    turnBudget(env, session.workspaceId),
    recall(recallDeps, recallScope, req.message),
  ]);
  const base = {
    functionName: config.functionName,
    workspace: session.workspaceId,
    traceparent: deps.traceparent,
    caller: "chat",
    maxTier: budget.maxTier,
  };
  const messages: ChatMessage[] = [
    ...session.context.map((t) => ({ role: t.role, content: [{ type: "text" as const, text: t.text }] })),
    { role: "user", content: [{ type: "text", text: req.message }] },
  ];
  if (budget.note) deps.onToken?.(`${budget.note}\n\n`);
  const done = await converse(deps, {
    call: { ...base, system: [systemPrompt(session), recallSection(recalled)].filter(Boolean).join("\n") },
    messages,
    registry,
    surface,
    ceiling,
    audit: (name, status) =>
      recordAccess(env, {
        founderId: caller.founderId,
        workspaceId: session.workspaceId,
        operation: `tool:${name}`,
        surface,
        outcome: status === "not_allowed" ? "denied" : "allowed",
        ...(status === "not_allowed" ? { code: "trust_mode_exceeded" } : {}),
        trustMode: registry.minTrustOf(name) ?? undefined,
        credential: caller.credential,
        detail: `session ${session.id}`,
      }),
  });
  await recordTurnCost(env, session.workspaceId, done.usage, done.cost, deps.log);
  const refusal = refusalNote(done, registry, ceiling);
  if (refusal) deps.onToken?.(refusal);
  const answered = `${done.reply}${refusal}`;
  const reply = formatReply(budget.note ? `${budget.note}\n\n${answered}` : answered, surface);
  const after = unwrap(
    await stub.appendTurns({
      founderId: caller.founderId,
      ttlMs: config.sessionTtlMs,
      turns: [
        { role: "user", text: req.message },
        { role: "assistant", text: reply },
      ],
    }),
  );
  const folded = await foldIfOverBudget(after.session, {
    env,
    ctx: deps.ctx,
    model: deps.model,
    session: stub,
    log: deps.log,
    call: base,
    budget: config.contextTokenBudget,
  });
  await store.recordTurn(
    session.id,
    surface,
    [...messages.slice(session.context.length), { role: "assistant", content: [{ type: "text", text: reply }] }],
    ceiling,
  );
  deps.ctx.waitUntil(remember(recallDeps, recallScope, req.message, reply));
  return {
    session_id: session.id,
    reply,
    trust_mode: session.trustMode,
    surface,
    usage: done.usage,
    cost_usd: done.cost,
    model: done.served,
    tool_calls: done.toolCalls,
    context: {
      turns: after.session.context.length - folded,
      folded,
      summarized: folded > 0 || after.session.summary !== null,
    },
  };
}
