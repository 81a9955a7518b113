/**
 * Checks a parsed definition beyond its shape: every step id a condition, loop or parallel names exists and
 * is named once, no step contains itself (cycles), ids are unique, expressions compile, and each `${…}`
 * reference names something that can exist when its step runs. Pure: no I/O, so the same check runs on
 * create, on update, and in tests. Each issue names the step and the field, e.g.
 * `steps[2] (check_quality).true_steps[0]: unknown step 'nope'`.
 */
import { compileExpression } from "../expressions/engine";
import { scanReferences, type Reference } from "../expressions/references";
import { ENTANGLEMENT_MESSAGE, RESERVED_ROOTS, type Step, type WorkflowDefinition } from "./definition-schema";

export interface DefinitionIssue {
  field: string;
  message: string;
}

type Path = (string | number)[];

/** `steps[2] (check_quality).true_steps[0]` from a step's index, id and a path inside it. */
export function stepField(index: number, id: string | undefined, path: Path): string {
  let out = id === undefined ? `steps[${index}]` : `steps[${index}] (${id})`;
  for (const seg of path) out += typeof seg === "number" ? `[${seg}]` : `.${seg}`;
  return out;
}

/** The slots through which a step contains other steps, with their paths inside the step. */
function childSlots(step: Step): { path: Path; ids: string[] }[] {
  switch (step.type) {
    case "condition":
      return [
        { path: ["true_steps"], ids: step.true_steps },
        { path: ["false_steps"], ids: step.false_steps },
      ];
    case "loop":
      return [{ path: ["steps"], ids: step.steps }];
    case "parallel":
      return step.branches.map((ids, b) => ({ path: ["branches", b], ids }));
    default:
      return [];
  }
}

const EXPRESSION_FIELDS: Partial<Record<Step["type"], string[]>> = {
  condition: ["expression"],
  loop: ["for_each", "while"],
  transform: ["output"],
};
const NOT_DATA = new Set(["id", "type", "name", "description", "true_steps", "false_steps", "steps", "branches"]);

/** Every string in a step that may hold references, with its path and whether it is an expression. */
function stringsOf(step: Step): { path: Path; text: string; expression: boolean }[] {
  const out: { path: Path; text: string; expression: boolean }[] = [];
  const exprFields = EXPRESSION_FIELDS[step.type] ?? [];
  const walk = (value: unknown, path: Path, expression: boolean) => {
    if (typeof value === "string") out.push({ path, text: value, expression });
    else if (Array.isArray(value)) value.forEach((v, i) => walk(v, [...path, i], expression));
    else if (value !== null && typeof value === "object")
      for (const [k, v] of Object.entries(value)) walk(v, [...path, k], expression);
  };
  for (const [key, value] of Object.entries(step)) if (!NOT_DATA.has(key)) walk(value, [key], exprFields.includes(key));
  return out;
}

interface Placement {
  /** Step ids whose output exists whenever this step runs. */
  visible: Set<string>;
  inLoop: boolean;
}

export function checkDefinition(def: WorkflowDefinition): DefinitionIssue[] {
  const issues: DefinitionIssue[] = [];
  const at = (i: number, path: Path, message: string) => {
    issues.push({ field: stepField(i, def.steps[i]?.id, path), message });
  };

  const indexOf = new Map<string, number>();
  def.steps.forEach((step, i) => {
    const first = indexOf.get(step.id);
    if (first !== undefined) at(i, ["id"], `duplicate step id '${step.id}' (also steps[${first}])`);
    else indexOf.set(step.id, i);
    if ((RESERVED_ROOTS as readonly string[]).includes(step.id))
      at(i, ["id"], `'${step.id}' is reserved for references and cannot be a step id`);
  });

  // Each step has at most one container: a step in two places would have no single place in the order.
  const parent = new Map<string, { index: number; field: string }>();
  def.steps.forEach((step, i) => {
    for (const slot of childSlots(step)) {
      slot.ids.forEach((child, j) => {
        const path = [...slot.path, j];
        if (!indexOf.has(child)) return at(i, path, `unknown step '${child}'`);
        if (child === step.id) return at(i, path, `cycle: step '${child}' contains itself`);
        const owner = parent.get(child);
        if (owner) return at(i, path, `step '${child}' is already in ${owner.field}`);
        parent.set(child, { index: i, field: stepField(i, step.id, path) });
      });
    }
  });

  let cyclic = false;
  const onReportedCycle = new Set<string>();
  for (const step of def.steps) {
    if (onReportedCycle.has(step.id)) continue;
    const seen = [step.id];
    for (let up = parent.get(step.id); up; up = parent.get(def.steps[up.index]?.id ?? "")) {
      const upId = def.steps[up.index]?.id ?? "";
      if (upId === step.id) {
        cyclic = true;
        for (const id of seen) onReportedCycle.add(id);
        issues.push({ field: up.field, message: `cycle: ${[...seen, step.id].reverse().join(" → ")}` });
        break;
      }
      if (seen.includes(upId)) break; // a cycle above this step; reported from a step on it
      seen.push(upId);
    }
  }
  // Without one id per step and a tree of containers there is no run order to check references against.
  if (cyclic || issues.some((x) => x.message.startsWith("duplicate"))) return issues;

  const placement = placeSteps(def, indexOf, parent);
  def.steps.forEach((step, i) => {
    const place = placement.get(step.id) ?? { visible: new Set<string>(), inLoop: false };
    for (const { path, text, expression } of stringsOf(step)) {
      const scanned = scanReferences(text, expression);
      if (!scanned.ok) {
        at(i, path, scanned.message);
        continue;
      }
      if (expression) {
        const compiled = compileExpression(text);
        if (!compiled.ok) at(i, path, compiled.message);
      }
      for (const ref of scanned.refs) {
        const problem = referenceProblem(step, ref, place, indexOf);
        if (problem) at(i, path, problem);
      }
    }
    if (step.type === "api_call" && scanReferences(step.url).ok && !step.url.includes("${") && !isHttpUrl(step.url))
      at(i, ["url"], "not an http(s) URL");
    const until = step.type === "wait" ? step.until : undefined;
    if (until !== undefined && until !== ENTANGLEMENT_MESSAGE && !until.includes("${") && isNaN(Date.parse(until)))
      at(i, ["until"], "not an ISO-8601 time (or 'entanglement_message')");
  });
  return issues;
}

function isHttpUrl(s: string): boolean {
  try {
    const u = new URL(s);
    return u.protocol === "http:" || u.protocol === "https:";
  } catch {
    return false;
  }
}

/**
 * Where each step sits in the run order: what has certainly finished or is an enclosing condition when it
 * runs. A step's whole subtree is done before its next sibling starts; parallel branches and the other
 * branch of a condition are not visible; a loop's body sees earlier body steps of the same iteration.
 */
function placeSteps(
  def: WorkflowDefinition,
  indexOf: Map<string, number>,
  parent: Map<string, unknown>,
): Map<string, Placement> {
  const out = new Map<string, Placement>();
  const stepOf = (id: string) => def.steps[indexOf.get(id) ?? -1];
  const subtree = (id: string, into: Set<string>) => {
    into.add(id);
    const s = stepOf(id);
    if (s) for (const slot of childSlots(s)) for (const c of slot.ids) if (!into.has(c)) subtree(c, into);
  };
  const walk = (seq: string[], before: Set<string>, inLoop: boolean) => {
    const acc = new Set(before);
    for (const id of seq) {
      const step = stepOf(id);
      if (!step || out.has(id)) continue;
      out.set(id, { visible: new Set(acc), inLoop });
      if (step.type === "condition") {
        const withCondition = new Set([...acc, id]);
        walk(step.true_steps, withCondition, inLoop);
        walk(step.false_steps, withCondition, inLoop);
      } else if (step.type === "loop") walk(step.steps, acc, true);
      else if (step.type === "parallel") for (const b of step.branches) walk(b, acc, inLoop);
      subtree(id, acc);
    }
  };
  walk(
    def.steps.filter((s) => !parent.has(s.id)).map((s) => s.id),
    new Set(),
    false,
  );
  return out;
}

function referenceProblem(step: Step, ref: Reference, place: Placement, indexOf: Map<string, number>): string | null {
  const shown = `\${${ref.raw}}`;
  if (ref.root === "input") return null;
  if (ref.root === "item" || ref.root === "index")
    return place.inLoop ? null : `${shown}: '${ref.root}' exists only in the steps of a loop`;
  if (ref.root === "secret") return step.type === "api_call" ? null : `${shown}: secrets are only for api_call steps`;
  if (indexOf.has(ref.root)) {
    if (ref.root === step.id) return `${shown}: a step cannot read its own output`;
    return place.visible.has(ref.root) ? null : `${shown}: step '${ref.root}' cannot have run before '${step.id}'`;
  }
  // The seed's `"Bearer ${api_token}"`: in an api_call, a bare name is a secret (`${secret.api_token}`).
  if (step.type === "api_call" && ref.path.length === 0) return null;
  return `${shown}: unknown step '${ref.root}'`;
}
