/**
 * ChainBot's expression language: CEL (Common Expression Language) through @marcbachmann/cel-js, with the
 * seed's `${path}` references. `${step1.quality_score} > 0.8` compiles to the CEL `ref0 > 0.8`, and `ref0` is
 * bound to the resolved path when it runs. Compile once (validation), evaluate many times (executions).
 *
 * Why this library: CEL is non-Turing-complete by design (no loops beyond bounded list macros, no
 * recursion, no side effects) and was made for evaluating untrusted expressions; cel-js is maintained,
 * has no dependencies, and interprets its AST — no `eval`/`new Function`, which workerd refuses (filtrex
 * compiles with new Function; expr-eval is unmaintained with a prototype-pollution CVE; jexl and jsonata are
 * sandboxed interpreters but jsonata is recursive/Turing-complete and neither bounds evaluation cost).
 *
 * The budget: cel-js bounds the AST (nodes, depth, literal sizes) but not the work of evaluating it —
 * nested macros over a large list (`l.all(a, l.all(b, l.all(c, …)))`) or `cel.bind` doubling a string are
 * small expressions with huge cost. Every child node the evaluator visits goes through its `run` method, so
 * this module wraps that one method to count steps and cap the size of each intermediate string or list;
 * past either, evaluation stops with `budget_exceeded`. The library is pinned exactly and
 * test/worker/chainbot-expressions.test.ts proves the budget holds against hostile expressions. `matches()`
 * is refused at compile time: it runs a JavaScript RegExp (not RE2), which a hostile pattern can make spin
 * inside one step, out of the budget's reach.
 */
import { Environment } from "@marcbachmann/cel-js";
import { fromCel, ResultTooLarge, toCel, type Json } from "./cel-values";
import { resolvePath, scanReferences, type Reference } from "./references";

export type ExpressionErrorCode = "parse_error" | "evaluation_error" | "budget_exceeded";

export interface ExpressionError {
  ok: false;
  code: ExpressionErrorCode;
  message: string;
}

export type Evaluated = { ok: true; value: Json } | ExpressionError;

export interface CompiledExpression {
  source: string;
  /** The CEL text after `${…}` references became `ref0`, `ref1`, … */
  cel: string;
  /** One entry per distinct reference, in `refN` order. */
  refs: Reference[];
  run: (context: Record<string, unknown>) => unknown;
}

export interface Budget {
  /** Nodes the evaluator may visit. */
  steps: number;
  /** The longest string (characters) or list (elements) any intermediate value may be. */
  maxValueSize: number;
}

export const DEFAULT_BUDGET: Budget = { steps: 10_000, maxValueSize: 100_000 };
export const MAX_EXPRESSION_LENGTH = 4_000;
export const MAX_REFERENCES = 32;

class BudgetExceeded extends Error {}

interface Meter {
  steps: number;
  maxValueSize: number;
}

// Infinity outside an evaluation, so a compile-time check (which runs nothing) never trips it.
const meter: Meter = { steps: Infinity, maxValueSize: Infinity };

const env = new Environment({
  homogeneousAggregateLiterals: false,
  limits: { maxAstNodes: 1_000, maxDepth: 32, maxListElements: 256, maxMapEntries: 256, maxCallArguments: 8 },
});
for (let i = 0; i < MAX_REFERENCES; i++) env.registerVariable(`ref${i}`, "dyn");

interface Runner {
  run(ast: unknown, ctx: unknown): unknown;
}

// cel-js calls a registered function with the evaluator as `this`: the one way to reach its `run`.
const probed: Runner[] = [];
env.registerFunction("chainbotMeterProbe(): bool", function (this: Runner) {
  if (probed.length === 0) probed.push(this);
  return true;
});
env.evaluate("chainbotMeterProbe()");
const [evaluator] = probed;
if (evaluator === undefined || typeof evaluator.run !== "function")
  throw new Error("cel-js evaluator not reachable: the expression budget cannot be enforced");
installMeter(evaluator);

function installMeter(ev: Runner): void {
  const run = ev.run.bind(ev);
  ev.run = (ast, ctx) => {
    if (--meter.steps < 0) throw new BudgetExceeded("step budget exceeded");
    const value = run(ast, ctx);
    if ((typeof value === "string" || Array.isArray(value)) && value.length > meter.maxValueSize)
      throw new BudgetExceeded(`an intermediate value exceeded ${meter.maxValueSize} characters or elements`);
    return value;
  };
}

function errorMessage(err: unknown): string {
  // cel-js messages carry a multi-line source excerpt; the first line says what went wrong.
  const message = err instanceof Error ? err.message : String(err);
  return message.split("\n")[0]?.trim() ?? message;
}

function usesMatches(node: unknown): boolean {
  if (!Array.isArray(node)) return false;
  if ((node[0] === "call" || node[0] === "rcall") && node[1] === "matches") return true;
  return node.some(usesMatches);
}

/** Parses and type-checks an expression once; the result evaluates without re-parsing. */
export function compileExpression(source: string): { ok: true; expr: CompiledExpression } | ExpressionError {
  if (source.length > MAX_EXPRESSION_LENGTH)
    return { ok: false, code: "parse_error", message: `longer than ${MAX_EXPRESSION_LENGTH} characters` };
  const scanned = scanReferences(source, true);
  if (!scanned.ok) return { ok: false, code: "parse_error", message: scanned.message };
  const refs: Reference[] = [];
  const names = new Map<string, string>();
  let cel = "";
  let at = 0;
  for (const ref of scanned.refs) {
    let name = names.get(ref.raw);
    if (name === undefined) {
      name = `ref${names.size}`;
      names.set(ref.raw, name);
      refs.push(ref);
    }
    // Spaces keep `${a}.b` from gluing onto a neighbouring token.
    cel += `${source.slice(at, ref.start)} ${name} `;
    at = ref.end;
  }
  cel += source.slice(at);
  if (refs.length > MAX_REFERENCES)
    return { ok: false, code: "parse_error", message: `more than ${MAX_REFERENCES} distinct references` };
  if (cel.trim() === "") return { ok: false, code: "parse_error", message: "empty expression" };
  try {
    const run = env.parse(cel);
    const checked = run.check();
    if (!checked.valid) return { ok: false, code: "parse_error", message: errorMessage(checked.error) };
    if (usesMatches(run.ast.toOldStructure()))
      return { ok: false, code: "parse_error", message: "matches() is not available (regular expressions can spin)" };
    return { ok: true, expr: { source, cel, refs, run } };
  } catch (err) {
    return { ok: false, code: "parse_error", message: errorMessage(err) };
  }
}

/** Evaluates a compiled expression against `{input, <step_id>: output, …}`; never throws. */
export function evaluateCompiled(
  expr: CompiledExpression,
  context: Readonly<Record<string, unknown>>,
  budget: Budget = DEFAULT_BUDGET,
): Evaluated {
  const vars: Record<string, unknown> = {};
  expr.refs.forEach((ref, i) => {
    vars[`ref${i}`] = toCel(resolvePath(context, ref.root, ref.path));
  });
  meter.steps = budget.steps;
  meter.maxValueSize = budget.maxValueSize;
  try {
    return { ok: true, value: fromCel(expr.run(vars)) };
  } catch (err) {
    if (err instanceof BudgetExceeded || err instanceof ResultTooLarge)
      return { ok: false, code: "budget_exceeded", message: err.message };
    // cel-js wraps a failure inside a nested node; the budget error may be its cause.
    if (err instanceof Error && err.cause instanceof BudgetExceeded)
      return { ok: false, code: "budget_exceeded", message: err.cause.message };
    return { ok: false, code: "evaluation_error", message: errorMessage(err) };
  } finally {
    meter.steps = Infinity;
    meter.maxValueSize = Infinity;
  }
}

/** Compiles and evaluates in one go (for callers without a compiled form at hand). */
export function evaluateExpression(
  source: string,
  context: Readonly<Record<string, unknown>>,
  budget: Budget = DEFAULT_BUDGET,
): Evaluated {
  const compiled = compileExpression(source);
  return compiled.ok ? evaluateCompiled(compiled.expr, context, budget) : compiled;
}
