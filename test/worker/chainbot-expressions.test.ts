/**
 * ChainBot's expression language (CEL with `${path}` references) and templates, run in workerd: the seed's
 * expressions, types kept by a bare `${x}`, errors as typed results, and the budget against hostile input.
 */
import { describe, it } from "vitest";
import { compileExpression, evaluateCompiled, evaluateExpression } from "../../workers/chainbot/expressions/engine";
import { renderTemplate, renderValue } from "../../workers/chainbot/expressions/templates";

const context = {
  input: { param1: "value1", name: "Ada", count: 3, items: [1, 2, 3], nested: { list: [{ v: "x" }] } },
  step1: { quality_score: 0.9, tags: ["a", "b"] },
};

describe("chainbot expressions", () => {
  it("should evaluate the seed's condition for a high and a low quality score", ({ expect }) => {
    const compiled = compileExpression("${step1.quality_score} > 0.8");
    if (!compiled.ok) throw new Error(compiled.message);
    expect(compiled.expr.cel.trim()).toBe("ref0  > 0.8");
    expect(evaluateCompiled(compiled.expr, { step1: { quality_score: 0.95 } })).toEqual({ ok: true, value: true });
    expect(evaluateCompiled(compiled.expr, { step1: { quality_score: 0.5 } })).toEqual({ ok: true, value: false });
    expect(evaluateCompiled(compiled.expr, { step1: { quality_score: 1 } })).toEqual({ ok: true, value: true });
  });

  it("should give ${input.param1} its value and keep JSON types through CEL", ({ expect }) => {
    expect(evaluateExpression("${input.param1}", context)).toEqual({ ok: true, value: "value1" });
    expect(evaluateExpression("${input.count} + 1", context)).toEqual({ ok: true, value: 4 });
    expect(evaluateExpression("${input.items}.map(x, x * 2)", context)).toEqual({ ok: true, value: [2, 4, 6] });
    expect(evaluateExpression("${input.nested.list[0].v} == 'x'", context)).toEqual({ ok: true, value: true });
    expect(evaluateExpression("'Hello ' + ${input.name}", context)).toEqual({ ok: true, value: "Hello Ada" });
    expect(evaluateExpression("{'n': ${input.count}, 't': ${step1.tags}}", context)).toEqual({
      ok: true,
      value: { n: 3, t: ["a", "b"] },
    });
  });

  it("should resolve a missing step or field to null", ({ expect }) => {
    expect(evaluateExpression("${skipped.x} == null", context)).toEqual({ ok: true, value: true });
    expect(evaluateExpression("${step1.nope}", context)).toEqual({ ok: true, value: null });
  });

  it("should report parse errors as typed results", ({ expect }) => {
    expect(compileExpression("${step1.quality_score} >")).toMatchObject({ ok: false, code: "parse_error" });
    expect(compileExpression("quality > 1")).toEqual({
      ok: false,
      code: "parse_error",
      message: "Unknown variable: quality",
    });
    expect(compileExpression("${step1.a")).toMatchObject({ ok: false, message: "unterminated ${ at offset 0" });
    expect(compileExpression("'${input.name}'")).toMatchObject({ ok: false, code: "parse_error" });
    expect(compileExpression("${1abc}")).toMatchObject({ ok: false, code: "parse_error" });
  });

  it("should report runtime failures as typed results, never throwing", ({ expect }) => {
    expect(evaluateExpression("1 / 0", context)).toEqual({
      ok: false,
      code: "evaluation_error",
      message: "division by zero",
    });
    expect(evaluateExpression("${input.name} > 1", context)).toMatchObject({ ok: false, code: "evaluation_error" });
  });

  it("should stop nested comprehensions over a large list at the step budget", ({ expect }) => {
    const big = { input: { l: Array.from({ length: 1000 }, (_, i) => i) } };
    const hostile = "${input.l}.all(a, ${input.l}.all(b, ${input.l}.all(c, a + b + c >= 0)))";
    expect(evaluateExpression(hostile, big)).toEqual({
      ok: false,
      code: "budget_exceeded",
      message: "step budget exceeded",
    });
    // The same shape over a small list is well within the budget.
    expect(evaluateExpression(hostile, { input: { l: [1, 2] } })).toEqual({ ok: true, value: true });
    // A smaller budget stops sooner.
    expect(evaluateExpression("${input.l}.map(x, x)", big, { steps: 50, maxValueSize: 1000 })).toMatchObject({
      code: "budget_exceeded",
    });
  });

  it("should stop a value that doubles on each cel.bind before it is large", ({ expect }) => {
    let expr = "s + s";
    for (let i = 0; i < 12; i++) expr = `cel.bind(s, s + s, ${expr})`;
    // 100 characters doubled 13 times is 819,200: stopped at the first value past 100,000.
    const result = evaluateExpression(`cel.bind(s, '${"x".repeat(100)}', ${expr})`, {});
    expect(result).toEqual({
      ok: false,
      code: "budget_exceeded",
      message: "an intermediate value exceeded 100000 characters or elements",
    });
  });

  it("should refuse matches() whose JavaScript regex could backtrack forever", ({ expect }) => {
    expect(compileExpression("${input.name}.matches('(a+)+$')")).toEqual({
      ok: false,
      code: "parse_error",
      message: "matches() is not available (regular expressions can spin)",
    });
  });

  it("should refuse an expression past the AST bound", ({ expect }) => {
    expect(compileExpression(Array.from({ length: 600 }, () => "1").join(" + "))).toMatchObject({
      ok: false,
      code: "parse_error",
    });
  });
});

describe("chainbot templates", () => {
  it("should interpolate references into text", ({ expect }) => {
    expect(renderTemplate("Hello ${input.name}, you have ${input.count} items", context)).toEqual({
      ok: true,
      value: "Hello Ada, you have 3 items",
    });
    expect(renderTemplate("tags=${step1.tags} missing=[${nope.x}]", context)).toEqual({
      ok: true,
      value: 'tags=["a","b"] missing=[]',
    });
  });

  it("should keep the value's type for a bare reference", ({ expect }) => {
    expect(renderTemplate("${input.items}", context)).toEqual({ ok: true, value: [1, 2, 3] });
    expect(renderTemplate("${input.count}", context)).toEqual({ ok: true, value: 3 });
    expect(renderValue({ a: ["${input.count}", "n=${input.count}"], b: 2 }, context)).toEqual({
      ok: true,
      value: { a: [3, "n=3"], b: 2 },
    });
  });

  it("should report a malformed reference as a typed result", ({ expect }) => {
    expect(renderTemplate("Bearer ${api_token", context)).toEqual({
      ok: false,
      code: "template_error",
      message: "unterminated ${ at offset 7",
    });
  });
});
