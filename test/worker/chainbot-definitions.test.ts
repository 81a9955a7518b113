/**
 * Workflow definitions: the seed's two examples pass exactly as written, each step type has a valid shape,
 * and every structural mistake is refused naming the step and the field.
 */
import { describe, it } from "vitest";
import { parseDefinition } from "../../workers/chainbot/workflows/definition-parse";
import { workflowSettings } from "../../workers/chainbot/workflows/definition-schema";
import seedConditional from "./fixtures/chainbot-seed-conditional.json";
import seedSequential from "./fixtures/chainbot-seed-sequential.json";
import { EVERY_STEP_TYPE } from "./fixtures/chainbot-workflows";

type Raw = Record<string, unknown>;

function issuesOf(raw: unknown): string[] {
  const parsed = parseDefinition(raw);
  return parsed.ok ? [] : parsed.issues.map((i) => `${i.field}: ${i.message}`);
}

function wf(steps: Raw[], extra: Raw = {}): Raw {
  return { name: "t", type: "mixed", steps, ...extra };
}

const agent = (id: string, task = "do"): Raw => ({ id, type: "agent_task", agent_type: "assistant", task });

describe("workflow definition parsing", () => {
  it("should accept the seed's two example workflows exactly as written", ({ expect }) => {
    for (const seed of [seedSequential, seedConditional]) {
      const parsed = parseDefinition(seed);
      expect(parsed.ok, JSON.stringify(parsed)).toBe(true);
      if (parsed.ok) expect(parsed.definition.steps.map((s) => s.id)).toEqual(seed.steps.map((s) => s.id));
    }
  });

  it("should read the seed's workflow defaults when a definition leaves them out", ({ expect }) => {
    const parsed = parseDefinition(seedSequential);
    if (!parsed.ok) throw new Error("seed refused");
    expect(workflowSettings(parsed.definition)).toEqual({
      default_timeout_hours: 1,
      max_concurrent_executions: 5,
      retry_attempts: 3,
    });
    const own = parseDefinition({ ...seedSequential, retry_attempts: 0, max_concurrent_executions: 2 });
    if (!own.ok) throw new Error("refused");
    expect(workflowSettings(own.definition)).toEqual({
      default_timeout_hours: 1,
      max_concurrent_executions: 2,
      retry_attempts: 0,
    });
  });

  it("should accept one step of every type", ({ expect }) => {
    expect(issuesOf(EVERY_STEP_TYPE)).toEqual([]);
  });

  it("should name an unknown step in a condition branch", ({ expect }) => {
    const def = wf([
      agent("a"),
      agent("b"),
      { id: "check_quality", type: "condition", expression: "true", true_steps: ["nope"] },
    ]);
    expect(issuesOf(def)).toEqual(["steps[2] (check_quality).true_steps[0]: unknown step 'nope'"]);
  });

  it("should name unknown steps in false_steps, loop bodies and parallel branches", ({ expect }) => {
    const def = wf([
      { id: "c", type: "condition", expression: "true", false_steps: ["x1"] },
      { id: "l", type: "loop", for_each: "[1]", steps: ["x2"] },
      { id: "p", type: "parallel", branches: [["x3"]] },
    ]);
    expect(issuesOf(def)).toEqual([
      "steps[0] (c).false_steps[0]: unknown step 'x1'",
      "steps[1] (l).steps[0]: unknown step 'x2'",
      "steps[2] (p).branches[0][0]: unknown step 'x3'",
    ]);
  });

  it("should refuse duplicate step ids", ({ expect }) => {
    expect(issuesOf(wf([agent("a"), agent("b"), agent("a")]))).toEqual([
      "steps[2] (a).id: duplicate step id 'a' (also steps[0])",
    ]);
  });

  it("should refuse cycles between containers and a step containing itself", ({ expect }) => {
    const def = wf([
      agent("start"),
      { id: "c1", type: "condition", expression: "true", true_steps: ["c2"] },
      { id: "c2", type: "condition", expression: "true", true_steps: ["c1"] },
    ]);
    expect(issuesOf(def)).toEqual(["steps[1] (c1).true_steps[0]: cycle: c1 → c2 → c1"]);
    expect(issuesOf(wf([{ id: "l", type: "loop", for_each: "[1]", steps: ["l"] }]))).toEqual([
      "steps[0] (l).steps[0]: cycle: step 'l' contains itself",
    ]);
  });

  it("should refuse a step placed in two containers", ({ expect }) => {
    const def = wf([
      { id: "c", type: "condition", expression: "true", true_steps: ["x"], false_steps: ["x"] },
      agent("x"),
    ]);
    expect(issuesOf(def)).toEqual(["steps[0] (c).false_steps[0]: step 'x' is already in steps[0] (c).true_steps[0]"]);
  });

  it("should refuse unparsable expressions naming the field", ({ expect }) => {
    const def = wf([
      agent("a"),
      { id: "c", type: "condition", expression: "${a.score} >" },
      { id: "t", type: "transform", output: { x: { y: "1 +* 2" } } },
    ]);
    const issues = issuesOf(def);
    expect(issues).toHaveLength(2);
    expect(issues[0]).toMatch(/^steps\[1\] \(c\)\.expression: /);
    expect(issues[1]).toMatch(/^steps\[2\] \(t\)\.output\.x\.y: /);
  });

  it("should refuse a reference to a step that cannot have run before", ({ expect }) => {
    expect(issuesOf(wf([agent("a", "use ${b.out}"), agent("b")]))).toEqual([
      "steps[0] (a).task: ${b.out}: step 'b' cannot have run before 'a'",
    ]);
    // The other branch of a condition never ran when this branch runs.
    const branches = wf([
      { id: "c", type: "condition", expression: "true", true_steps: ["t"], false_steps: ["f"] },
      agent("t"),
      agent("f", "${t.x}"),
    ]);
    expect(issuesOf(branches)).toEqual(["steps[2] (f).task: ${t.x}: step 't' cannot have run before 'f'"]);
    // Parallel branches do not see each other.
    const parallel = wf([{ id: "p", type: "parallel", branches: [["l"], ["r"]] }, agent("l"), agent("r", "${l}")]);
    expect(issuesOf(parallel)).toEqual(["steps[2] (r).task: ${l}: step 'l' cannot have run before 'r'"]);
  });

  it("should let a step read what ran before it, including a branch that may have been skipped", ({ expect }) => {
    const def = wf([
      agent("a"),
      { id: "c", type: "condition", expression: "${a.ok}", true_steps: ["t"] },
      agent("t", "${a.x} and ${c.result}"),
      agent("after", "${t.y}"),
    ]);
    expect(issuesOf(def)).toEqual([]);
  });

  it("should refuse unknown names, own output, loop variables outside loops and secrets outside api_call", ({
    expect,
  }) => {
    const def = wf([
      agent("a", "${a.x}"),
      agent("b", "${nobody.x}"),
      agent("c", "${item}"),
      agent("d", "${secret.TOKEN}"),
      { id: "e", type: "condition", expression: "${api_token} == ''" },
    ]);
    expect(issuesOf(def)).toEqual([
      "steps[0] (a).task: ${a.x}: a step cannot read its own output",
      "steps[1] (b).task: ${nobody.x}: unknown step 'nobody'",
      "steps[2] (c).task: ${item}: 'item' exists only in the steps of a loop",
      "steps[3] (d).task: ${secret.TOKEN}: secrets are only for api_call steps",
      "steps[4] (e).expression: ${api_token}: unknown step 'api_token'",
    ]);
  });

  it("should refuse bad shapes naming the step and the field", ({ expect }) => {
    expect(issuesOf(wf([{ id: "x", type: "teleport" }]))).toEqual([
      "steps[0] (x).type: unknown step type (agent_task, api_call, condition, loop, parallel, wait, sub_workflow, transform)",
    ]);
    expect(issuesOf(wf([{ id: "c", type: "condition", expresion: "true" }]))[0]).toMatch(/^steps\[0\] \(c\)/);
    expect(issuesOf(wf([{ id: "w", type: "loop", while: "true", steps: ["a"] }, agent("a")]))).toEqual([
      "steps[0] (w).max_iterations: a while loop needs max_iterations",
    ]);
    expect(issuesOf(wf([{ id: "w", type: "wait", duration: 5, event: "go" }]))).toEqual([
      "steps[0] (w).duration: a wait needs exactly one of duration, until, event and approval",
    ]);
    expect(issuesOf(wf([{ id: "u", type: "api_call", url: "ftp://x" }]))).toEqual([
      "steps[0] (u).url: not an http(s) URL",
    ]);
    expect(issuesOf(wf([agent("input")]))).toEqual([
      "steps[0] (input).id: 'input' is reserved for references and cannot be a step id",
    ]);
    expect(issuesOf({ name: "", steps: [] })).toEqual([
      "name: Too small: expected string to have >=1 characters",
      "steps: Too small: expected array to have >=1 items",
    ]);
  });
});
