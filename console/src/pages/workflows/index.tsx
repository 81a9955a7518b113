/**
 * Workflows (ChainBot definitions): list with cursor paging, one definition by version with its steps, and an
 * editor that creates or updates a definition, showing each validation issue at the step it names
 * (`steps[2] (check).true_steps[0]: …`); each definition's executions and an execute form, and one execution
 * with its live step timeline and actions (executions.tsx, execution.tsx).
 */
import { useState } from "preact/hooks";
import { api, must } from "../../api/client";
import type { components } from "../../api/openapi";
import { can } from "../../api/session";
import { Ago, ErrorNote, Json, Pager, Section } from "../../ui/parts";
import { Table } from "../../ui/table";
import { useAsync } from "../../ui/use-async";
import { href, type PageDef, type PageRoute } from "../page";
import { ExecutionPage } from "./execution";
import { ExecuteForm, Executions } from "./executions";

type Definition = components["schemas"]["WorkflowDefinition"];
interface Issue {
  field: string;
  message: string;
}

const EXAMPLE = JSON.stringify(
  {
    name: "triage",
    steps: [
      { id: "check", type: "condition", expression: "${input.priority} > 3", true_steps: ["page"], false_steps: [] },
      { id: "page", type: "transform", output: { paged: "true" } },
    ],
  },
  null,
  2,
);

/** The index of the top-level step an issue names, from its `steps[N]` prefix. */
function stepOf(issue: Issue): number | null {
  const m = /^(?:body\.)?steps\[(\d+)\]/.exec(issue.field) ?? /^(?:body\.)?steps\.(\d+)/.exec(issue.field);
  return m?.[1] === undefined ? null : Number(m[1]);
}

function Editor(props: { id?: string; initial: string; onSaved: (id: string) => void }) {
  const [draft, setDraft] = useState(props.initial);
  const [issues, setIssues] = useState<Issue[]>([]);
  const [error, setError] = useState<string | null>(null);
  let parsed: { steps?: unknown[] } | null = null;
  try {
    parsed = JSON.parse(draft) as { steps?: unknown[] };
  } catch {
    parsed = null;
  }
  async function save(e: Event) {
    e.preventDefault();
    if (!parsed) return setError("not JSON");
    const body = parsed as Definition;
    const res = props.id
      ? await api.PUT("/api/chainbot/workflows/{id}", { params: { path: { id: props.id } }, body })
      : await api.POST("/api/chainbot/workflows", { body });
    if (res.data) {
      setIssues([]);
      setError(null);
      props.onSaved(res.data.id);
      return;
    }
    const err = (res.error as { error?: { message?: string; details?: { issues?: Issue[] } } } | undefined)?.error;
    setIssues(err?.details?.issues ?? []);
    setError(err?.message ?? `${res.response.status}`);
  }
  const general = issues.filter((i) => stepOf(i) === null);
  return (
    <form onSubmit={(e) => void save(e)} aria-label="workflow editor">
      <label>
        Definition (JSON)
        <textarea rows={14} value={draft} onInput={(e) => setDraft(e.currentTarget.value)} spellcheck={false} />
      </label>
      {!parsed && <p class="error">Not valid JSON yet.</p>}
      <ErrorNote error={error} />
      {general.map((i) => (
        <p class="error" key={i.field}>
          {i.field}: {i.message}
        </p>
      ))}
      <ol class="steps">
        {(parsed?.steps ?? []).map((s, n) => {
          const mine = issues.filter((i) => stepOf(i) === n);
          return (
            <li key={n} class={mine.length ? "step-error" : ""} data-step={n}>
              <code>{JSON.stringify(s)}</code>
              {mine.map((i) => (
                <p class="error" key={i.field}>
                  {i.field}: {i.message}
                </p>
              ))}
            </li>
          );
        })}
      </ol>
      <button type="submit">{props.id ? "Save new version" : "Create workflow"}</button>
    </form>
  );
}

function WorkflowsPage() {
  const [cursor, setCursor] = useState<string | null>(null);
  const list = useAsync(
    () => must(api.GET("/api/chainbot/workflows", { params: { query: { cursor: cursor ?? undefined, limit: 50 } } })),
    [cursor],
  );
  return (
    <>
      <h1>Workflows</h1>
      <Section title="Definitions" id="workflows">
        <ErrorNote error={list.error} />
        <Table
          label="workflows"
          rows={list.data?.workflows}
          columns={[
            { head: "name", cell: (r) => <a href={href(`workflows/${r.id}`)}>{r.name}</a> },
            { head: "description", cell: (r) => r.description ?? "" },
            { head: "version", cell: (r) => r.latest_version },
            { head: "by", cell: (r) => r.created_by },
            { head: "updated", cell: (r) => <Ago at={r.updated_at} /> },
          ]}
        />
        <Pager cursor={cursor} next={list.data?.next_cursor} onCursor={setCursor} />
      </Section>
      {can("chainbot:workflow:create") && (
        <Section title="New definition" id="new-workflow">
          <Editor initial={EXAMPLE} onSaved={() => list.reload()} />
        </Section>
      )}
    </>
  );
}

function WorkflowPage(props: { id?: string }) {
  const id = props.id ?? "";
  const [version, setVersion] = useState<number | undefined>(undefined);
  const wf = useAsync(
    () => must(api.GET("/api/chainbot/workflows/{id}", { params: { path: { id }, query: { version } } })),
    [id, version],
  );
  const w = wf.data;
  return (
    <>
      <p>
        <a href={href("workflows")}>← Workflows</a>
      </p>
      <h1>{w?.name ?? id}</h1>
      <ErrorNote error={wf.error} />
      {w && (
        <Section
          title={`Version ${w.version} of ${w.latest_version}`}
          actions={
            <label>
              Version
              <select value={w.version} onChange={(e) => setVersion(Number(e.currentTarget.value))}>
                {Array.from({ length: w.latest_version }, (_, i) => i + 1).map((v) => (
                  <option key={v} value={v}>
                    {v}
                  </option>
                ))}
              </select>
            </label>
          }
        >
          <Table
            label="steps"
            rows={w.definition.steps ?? []}
            columns={[
              { head: "id", cell: (s) => <code>{String(s.id)}</code> },
              { head: "type", cell: (s) => String(s.type) },
              { head: "step", cell: (s) => <code>{JSON.stringify(s)}</code> },
            ]}
          />
        </Section>
      )}
      {w && can("chainbot:workflow:create") && (
        <Section title="Edit (saves a new version)">
          <Editor
            key={`${w.id}@${w.version}`}
            id={w.id}
            initial={JSON.stringify(w.definition, null, 2)}
            onSaved={() => (setVersion(undefined), wf.reload())}
          />
        </Section>
      )}
      {w && can("chainbot:workflow:execute") && <ExecuteForm workflowId={w.id} />}
      {w && <Executions workflowId={w.id} />}
      {w && <Json value={w} />}
    </>
  );
}

export const page: PageDef = {
  path: "workflows",
  title: "Workflows",
  order: 40,
  scopes: ["chainbot:read"],
  routes: [
    { path: "", component: WorkflowsPage },
    { path: "executions/:id", component: ExecutionPage as PageRoute["component"] },
    { path: ":id", component: WorkflowPage as PageRoute["component"] },
  ],
};
