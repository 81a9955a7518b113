/**
 * The chat gateway's tool registry. Through the Worker's entry with the fake upstream's `fake-tool` model
 * (it calls the first tool offered, every round): a tool above the session's ceiling is never run, the model
 * is told it is not allowed at this trust mode, and the loop stops at its depth bound; an allowed tool runs
 * over the memory store. Then every memory tool through the registry against D1, with progress, argument
 * validation and the mode-3 namespace.
 */
import { refusalNote } from "../../workers/chat/chat-turn";
import { env } from "cloudflare:workers";
import { beforeAll, describe, it } from "vitest";
import { MemoryStore } from "../../workers/chat/memory-store";
import { memoryTools } from "../../workers/chat/tools/memory-tools";
import { ToolRegistry } from "../../workers/chat/tools/registry";
import { call, json, uniqueId } from "./helpers";
import { auditRows, founderToken, useChatModel } from "./chat-support";
import { recorded } from "./provider-fixtures";

const MODEL = `fake-tool~${uniqueId("tools")}`;

interface ChatReply {
  reply: string;
  tool_calls: { name: string; status: string }[];
  usage: { input_tokens: number; output_tokens: number };
}

beforeAll(async () => {
  await useChatModel(MODEL);
});

describe("POST /chat tool calls", () => {
  it("should refuse a tool above the ceiling, tell the model, and stop at the depth bound", async ({ expect }) => {
    const founder = uniqueId("f");
    const marker = uniqueId("low-trust");
    const res = await call("/chat", {
      token: await founderToken({ user_id: founder, trust_mode_max: 0 }),
      body: { message: `show my profile ${marker}` },
    });
    expect(res.status).toBe(200);
    const body = await json<ChatReply>(res);
    const refusal = {
      error: "not_allowed",
      message: "'get_business_profile' is not allowed at trust mode 0; it needs trust mode 1",
      required_trust_mode: 1,
    };
    // Four refused rounds (CHAT_TOOL_MAX_DEPTH), then one call without tools: the model answers from the refusal.
    expect(body.tool_calls).toEqual(Array(4).fill({ name: "get_business_profile", status: "not_allowed" }));
    expect(body.reply).toBe(`echo: ${JSON.stringify(refusal)}`);
    const sent = (await recorded(MODEL)).filter((r) => JSON.stringify(r.body).includes(marker));
    expect(sent.length).toBe(5);
    const first = sent[0]?.body as { tools: { function: { name: string; description: string } }[] };
    expect(first.tools.map((t) => t.function.name)).toEqual([
      "get_business_profile",
      "list_goals",
      "list_checklists",
      "read_summaries",
      "update_business_profile",
      "create_goal",
      "update_goal",
      "create_checklist",
      "update_checklist_item",
      "list_jobs",
      "schedule_job",
      "cancel_job",
    ]);
    expect(first.tools[4]?.function.description).toContain("needs trust mode 2");
    expect((sent[4]?.body as { tools?: unknown }).tools).toBeUndefined();
    // The model was told: the second request carries the refusal as the tool's result.
    const second = sent[1]?.body as { messages: { role: string; content: string }[] };
    expect(second.messages.at(-1)).toMatchObject({ role: "tool", content: JSON.stringify(refusal) });
    // Each refused call is an audited, denied access attempt.
    const tools = (await auditRows(founder)).filter((r) => r.operation.startsWith("tool:"));
    expect(tools.map((r) => [r.operation, r.outcome, r.code])).toEqual(
      Array(4).fill(["tool:get_business_profile", "denied", "trust_mode_exceeded"]),
    );
  });

  it("should run an allowed tool over the memory store and hand its result to the model", async ({ expect }) => {
    const founder = uniqueId("f");
    const workspace = uniqueId("ws");
    const store = new MemoryStore(env, { founderId: founder, workspaceId: workspace, namespace: "wb" });
    await store.updateProfile({ name: "Acme Bakery", stage: "launch", profile: { city: "Lisbon" } });
    const res = await call("/chat", {
      token: await founderToken({ user_id: founder, workspace_id: workspace, trust_mode_max: 1 }),
      body: { message: "what do you know about my business" },
    });
    const body = await json<ChatReply>(res);
    expect(body.tool_calls).toEqual(Array(4).fill({ name: "get_business_profile", status: "ok" }));
    const result = JSON.parse(body.reply.replace(/^echo: /, "")) as Record<string, unknown>;
    expect(result).toMatchObject({
      workspace_id: workspace,
      name: "Acme Bakery",
      stage: "launch",
      profile: { city: "Lisbon" },
    });
  });

  it("should run the tool loop when streaming too", async ({ expect }) => {
    const res = await call("/chat", {
      token: await founderToken({ user_id: uniqueId("f"), trust_mode_max: 0 }),
      body: { message: "stream with tools", stream: true },
    });
    const frames = (await res.text()).split("\n\n").filter((f) => f.startsWith("data: {"));
    const done = JSON.parse(frames.at(-1)?.slice(6) ?? "{}") as ChatReply & { type: string };
    expect(done.type).toBe("done");
    expect(done.tool_calls).toEqual(Array(4).fill({ name: "get_business_profile", status: "not_allowed" }));
    expect(done.reply).toContain("is not allowed at trust mode 0");
  });
});

describe("memory tools", () => {
  const tools = (founderId: string, workspaceId: string, namespace: "wb" | "wbs" = "wb") =>
    new ToolRegistry(memoryTools(new MemoryStore(env, { founderId, workspaceId, namespace })));

  it("should create and update goals and checklists with progress", async ({ expect }) => {
    const reg = tools(uniqueId("f"), uniqueId("ws"));
    const goal = await reg.run(
      "create_goal",
      JSON.stringify({ title: "MRR", target_value: 10000, unit: "USD" }),
      "web",
      2,
    );
    expect(goal.status).toBe("ok");
    const goalId = (goal.result as { goal: { id: string } }).goal.id;
    const updated = await reg.run("update_goal", JSON.stringify({ id: goalId, current_value: 2500 }), "web", 2);
    expect(updated.result).toMatchObject({
      id: goalId,
      title: "MRR",
      targetValue: 10000,
      currentValue: 2500,
      unit: "USD",
    });
    const list = await reg.run(
      "create_checklist",
      JSON.stringify({ title: "Launch", items: ["site", "pricing", "email", "ads"], due_date: "2026-12-31" }),
      "web",
      2,
    );
    const checklistId = (list.result as { checklist: { id: string; progress: number } }).checklist.id;
    expect((list.result as { checklist: { progress: number } }).checklist.progress).toBe(0);
    await reg.run("update_checklist_item", JSON.stringify({ id: checklistId, index: 0, done: true }), "web", 2);
    const third = await reg.run(
      "update_checklist_item",
      JSON.stringify({ id: checklistId, index: 2, done: true }),
      "web",
      2,
    );
    expect(third.result).toMatchObject({ progress: 50 });
    const one = await reg.run(
      "update_checklist_item",
      JSON.stringify({ id: checklistId, index: 2, done: false }),
      "web",
      2,
    );
    expect(one.result).toMatchObject({ progress: 25 });
    const listed = await reg.run("list_checklists", "{}", "web", 1);
    expect((listed.result as { checklists: { items: unknown }[] }).checklists[0]?.items).toEqual([
      { text: "site", done: true },
      { text: "pricing", done: false },
      { text: "email", done: false },
      { text: "ads", done: false },
    ]);
    const missing = await reg.run(
      "update_checklist_item",
      JSON.stringify({ id: checklistId, index: 9, done: true }),
      "web",
      2,
    );
    expect(missing.result).toEqual({ error: "not_found", message: "no such item" });
  });

  it("should refuse bad arguments, tools above the ceiling and tools off the surface without running them", async ({
    expect,
  }) => {
    const reg = tools(uniqueId("f"), uniqueId("ws"));
    expect(await reg.run("create_goal", JSON.stringify({ title: "" }), "web", 2)).toEqual({
      status: "error",
      result: { error: "invalid_arguments", message: "title: Too small: expected string to have >=1 characters" },
    });
    expect(await reg.run("create_goal", "{not json", "web", 2)).toMatchObject({ status: "error" });
    expect(await reg.run("create_goal", JSON.stringify({ title: "x" }), "web", 1)).toMatchObject({
      status: "not_allowed",
      result: { required_trust_mode: 2 },
    });
    // SMS offers read tools only: a write tool there is unknown, whatever the ceiling.
    expect(await reg.run("create_goal", JSON.stringify({ title: "x" }), "sms", 3)).toMatchObject({
      status: "error",
      result: { error: "unknown_tool" },
    });
    expect(((await reg.run("list_goals", "{}", "web", 2)).result as { goals: unknown[] }).goals).toEqual([]);
  });

  it("should keep mode-3 memory in its own namespace", async ({ expect }) => {
    const founder = uniqueId("f");
    const workspace = uniqueId("ws");
    const sovereign = tools(founder, workspace, "wbs");
    const operator = tools(founder, workspace, "wb");
    await sovereign.run("update_business_profile", JSON.stringify({ name: "Stealth Co", stage: "idea" }), "web", 3);
    await sovereign.run("create_goal", JSON.stringify({ title: "secret goal" }), "web", 3);
    expect((await operator.run("get_business_profile", "{}", "web", 2)).result).toMatchObject({
      name: null,
      stage: null,
    });
    expect(((await operator.run("list_goals", "{}", "web", 2)).result as { goals: unknown[] }).goals).toEqual([]);
    expect((await sovereign.run("get_business_profile", "{}", "web", 3)).result).toMatchObject({ name: "Stealth Co" });
    // And another founder cannot read or take over the workspace.
    const intruder = tools(uniqueId("other"), workspace, "wbs");
    expect((await intruder.run("get_business_profile", "{}", "web", 3)).result).toEqual({
      error: "not_found",
      message: "workspace not found",
    });
  });
});

describe("refusalNote", () => {
  const registry = { minTrustOf: (name: string) => (name === "update_goal" ? 2 : 1) };

  it("should say which trust mode each refused tool needs when the reply does not", ({ expect }) => {
    const toolCalls = [
      { name: "update_goal", status: "not_allowed" as const },
      { name: "update_goal", status: "not_allowed" as const },
      { name: "list_goals", status: "ok" as const },
    ];
    expect(refusalNote({ reply: "Done!", toolCalls }, registry, 1)).toBe(
      "\n\n(update_goal needs trust mode 2; this session is at trust mode 1.)",
    );
  });

  it("should add nothing when no tool was refused or the reply already names the trust mode", ({ expect }) => {
    const refused = [{ name: "update_goal", status: "not_allowed" as const }];
    expect(refusalNote({ reply: "Done!", toolCalls: [{ name: "list_goals", status: "ok" }] }, registry, 1)).toBe("");
    expect(refusalNote({ reply: "That needs Trust Mode 2.", toolCalls: refused }, registry, 1)).toBe("");
  });
});
