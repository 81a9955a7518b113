/**
 * The tool registry (seed 003 `Tool`: name, description, minTrustMode, handler) plus a zod input schema per
 * tool. Tools are offered to the model as function-calling tools (their JSON Schema from zod); a call is
 * checked against the session's trust ceiling before anything runs, and its arguments against the schema.
 * A refusal or a bad call becomes the tool's result, so the model is told and can say so.
 */
import { z } from "zod";
import type { ToolSpec } from "../../platform/model-port";
import { toolAllowedOn, type Surface, type TrustMode } from "../surfaces";

export interface Tool<I = unknown> {
  name: string;
  description: string;
  minTrustMode: TrustMode;
  input: z.ZodType<I>;
  handler: (input: I) => Promise<unknown>;
}

/** Erases a tool's input type so tools of different inputs share one list. */
export function defineTool<I>(tool: Tool<I>): Tool {
  return tool as unknown as Tool;
}

export type ToolOutcome =
  | { status: "ok"; result: unknown }
  | { status: "not_allowed"; result: { error: "not_allowed"; message: string; required_trust_mode: number } }
  | { status: "error"; result: { error: string; message: string } };

export class ToolRegistry {
  private readonly byName: Map<string, Tool>;
  constructor(tools: readonly Tool[]) {
    this.byName = new Map(tools.map((t) => [t.name, t]));
  }

  /** What the model is offered on a surface: every tool the surface allows, each naming its trust mode. */
  specsFor(surface: Surface): ToolSpec[] {
    return [...this.byName.values()]
      .filter((t) => toolAllowedOn(surface, t.name))
      .map((t) => ({
        name: t.name,
        description: `${t.description} (needs trust mode ${t.minTrustMode} or higher)`,
        parameters: z.toJSONSchema(t.input, { io: "input" }),
      }));
  }

  minTrustOf(name: string): TrustMode | null {
    return this.byName.get(name)?.minTrustMode ?? null;
  }

  /** Runs a call the model made, unless the tool is unknown, off this surface, above the ceiling or misused. */
  async run(name: string, rawArguments: string, surface: Surface, ceiling: TrustMode): Promise<ToolOutcome> {
    const tool = this.byName.get(name);
    if (!tool || !toolAllowedOn(surface, name))
      return { status: "error", result: { error: "unknown_tool", message: `no tool '${name}' on this surface` } };
    if (tool.minTrustMode > ceiling)
      return {
        status: "not_allowed",
        result: {
          error: "not_allowed",
          message: `'${name}' is not allowed at trust mode ${ceiling}; it needs trust mode ${tool.minTrustMode}`,
          required_trust_mode: tool.minTrustMode,
        },
      };
    let args: unknown;
    try {
      args = rawArguments.trim() === "" ? {} : JSON.parse(rawArguments);
    } catch {
      return { status: "error", result: { error: "invalid_arguments", message: "arguments are not JSON" } };
    }
    const parsed = tool.input.safeParse(args);
    if (!parsed.success) {
      const issue = parsed.error.issues[0];
      const message = `${issue?.path.map(String).join(".") || "arguments"}: ${issue?.message ?? "invalid"}`;
      return { status: "error", result: { error: "invalid_arguments", message } };
    }
    return { status: "ok", result: await tool.handler(parsed.data) };
  }
}
