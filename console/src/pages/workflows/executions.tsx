/**
 * A workflow's executions (newest first, status filter, cursor paging) and the form that executes it with
 * input JSON. The list reads `GET /api/chainbot/workflows/{id}/executions`; `listExecutions` is the one place
 * to switch to the cross-workflow `GET /api/chainbot/executions` once it exists.
 */
import { useLocation } from "preact-iso";
import { useState } from "preact/hooks";
import { api, must } from "../../api/client";
import type { components } from "../../api/openapi";
import { ErrorNote, Pager, Pill, Section } from "../../ui/parts";
import { Table } from "../../ui/table";
import { useAsync } from "../../ui/use-async";
import { href } from "../page";

type ExecutionStatus = components["schemas"]["Execution"]["status"];
export const EXECUTION_STATUSES: readonly ExecutionStatus[] = [
  "queued",
  "running",
  "paused",
  "completed",
  "failed",
  "cancelled",
];

export function executionHref(id: string): string {
  return href(`workflows/executions/${encodeURIComponent(id)}`);
}

/** One page of a workflow's executions. */
function listExecutions(workflowId: string, status: ExecutionStatus | undefined, cursor: string | null) {
  return must(
    api.GET("/api/chainbot/workflows/{id}/executions", {
      params: { path: { id: workflowId }, query: { status, cursor: cursor ?? undefined, limit: 20 } },
    }),
  );
}

export function Executions(props: { workflowId: string }) {
  const [status, setStatus] = useState<ExecutionStatus | "">("");
  const [cursor, setCursor] = useState<string | null>(null);
  const list = useAsync(
    () => listExecutions(props.workflowId, status === "" ? undefined : status, cursor),
    [props.workflowId, status, cursor],
  );
  return (
    <Section title="Executions" id="executions">
      <form class="filters" onSubmit={(e) => e.preventDefault()}>
        <label>
          Status
          <select
            value={status}
            onChange={(e) => {
              setCursor(null);
              setStatus(e.currentTarget.value as ExecutionStatus | "");
            }}
          >
            <option value="">any</option>
            {EXECUTION_STATUSES.map((s) => (
              <option key={s} value={s}>
                {s}
              </option>
            ))}
          </select>
        </label>
      </form>
      <ErrorNote error={list.error} />
      <Table
        label="executions"
        rows={list.data?.executions}
        empty="No executions yet."
        columns={[
          { head: "execution", cell: (r) => <a href={executionHref(r.execution_id)}>{r.execution_id}</a> },
          { head: "status", cell: (r) => <Pill value={r.status} /> },
          { head: "created", cell: (r) => new Date(r.created_at).toLocaleString() },
          { head: "updated", cell: (r) => new Date(r.updated_at).toLocaleString() },
        ]}
      />
      <Pager cursor={cursor} next={list.data?.next_cursor} onCursor={setCursor} />
    </Section>
  );
}

/** Executes the workflow with the input typed here, then opens the new execution's page. */
export function ExecuteForm(props: { workflowId: string }) {
  const { route } = useLocation();
  const [input, setInput] = useState("{}");
  const [error, setError] = useState<string | null>(null);
  async function submit(e: Event) {
    e.preventDefault();
    let input_data: Record<string, unknown>;
    try {
      const parsed: unknown = JSON.parse(input);
      if (parsed === null || typeof parsed !== "object" || Array.isArray(parsed)) throw new Error("not an object");
      input_data = parsed as Record<string, unknown>;
    } catch {
      return setError("Input must be a JSON object.");
    }
    try {
      const started = await must(
        api.POST("/api/chainbot/workflows/{id}/execute", {
          params: { path: { id: props.workflowId } },
          body: { input_data },
        }),
      );
      setError(null);
      route(executionHref(started.execution_id));
    } catch (err) {
      setError(err instanceof Error ? err.message : String(err));
    }
  }
  return (
    <Section title="Execute" id="execute">
      <form onSubmit={(e) => void submit(e)} aria-label="execute workflow">
        <label>
          Input (JSON object)
          <textarea rows={4} value={input} onInput={(e) => setInput(e.currentTarget.value)} spellcheck={false} />
        </label>
        <ErrorNote error={error} />
        <button type="submit">Execute</button>
      </form>
    </Section>
  );
}
