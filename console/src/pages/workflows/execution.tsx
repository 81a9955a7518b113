/**
 * One execution: its status and progress, a step timeline kept live by the execution's `/live` WebSocket
 * (each frame re-reads the execution, so every step shows its attempts, output, error and duration as the
 * object has them), and the actions approve / reject / send event / pause / resume / cancel for a principal
 * with `chainbot:workflow:execute` (hidden otherwise; the API refuses them anyway).
 */
import { useState } from "preact/hooks";
import { api, must } from "../../api/client";
import { useLiveSocket } from "../../api/live-socket";
import type { components } from "../../api/openapi";
import { can } from "../../api/session";
import { ErrorNote, Json, Pill, Section, Stat } from "../../ui/parts";
import { useAsync } from "../../ui/use-async";
import { href } from "../page";

type Execution = components["schemas"]["Execution"];
type Step = Execution["steps"][number];
const FINISHED = ["completed", "failed", "cancelled"];

function StepItem({ step }: { step: Step }) {
  return (
    <li class={`timeline-step timeline-${step.status}`} data-step={step.key} data-status={step.status}>
      <div class="row">
        <code>{step.key}</code>
        <span class="muted">{step.type}</span>
        <Pill value={step.status} />
        <span class="muted">
          {step.attempts} attempt{step.attempts === 1 ? "" : "s"}
          {step.duration_ms === null ? "" : ` · ${step.duration_ms} ms`}
        </span>
      </div>
      {step.error && (
        <p class="error">
          {step.error.code}: {step.error.message}
        </p>
      )}
      {step.output !== null && step.output !== undefined && (
        <details>
          <summary>output</summary>
          <Json value={step.output} />
        </details>
      )}
    </li>
  );
}

function Actions(props: { execution: Execution; onDone: () => void }) {
  const x = props.execution;
  const [error, setError] = useState<string | null>(null);
  const [note, setNote] = useState<string | null>(null);
  const [eventName, setEventName] = useState("");
  const [payload, setPayload] = useState("{}");
  const path = { params: { path: { id: x.execution_id } } };
  async function run(label: string, call: () => Promise<unknown>) {
    try {
      await call();
      setError(null);
      setNote(label);
      props.onDone();
    } catch (err) {
      setNote(null);
      setError(err instanceof Error ? err.message : String(err));
    }
  }
  async function sendEvent(e: Event) {
    e.preventDefault();
    let body: unknown;
    try {
      body = JSON.parse(payload);
    } catch {
      return setError("Payload must be JSON.");
    }
    await run(`Sent ${eventName}`, () =>
      must(api.POST("/api/chainbot/executions/{id}/events", { ...path, body: { name: eventName, payload: body } })),
    );
  }
  if (FINISHED.includes(x.status)) return null;
  const waiting = x.steps.some((s) => s.status === "waiting");
  const decide = (decision: "approved" | "rejected") =>
    run(decision === "approved" ? "Approved" : "Rejected", () =>
      must(api.POST("/api/chainbot/executions/{id}/approve", { ...path, body: { decision } })),
    );
  return (
    <Section title="Actions" id="actions">
      <div class="row">
        {waiting && (
          <>
            <button type="button" onClick={() => void decide("approved")}>
              Approve
            </button>
            <button type="button" class="ghost" onClick={() => void decide("rejected")}>
              Reject
            </button>
          </>
        )}
        {x.status === "running" && (
          <button
            type="button"
            class="ghost"
            onClick={() => void run("Paused", () => must(api.POST("/api/chainbot/executions/{id}/pause", path)))}
          >
            Pause
          </button>
        )}
        {x.status === "paused" && (
          <button
            type="button"
            onClick={() => void run("Resumed", () => must(api.POST("/api/chainbot/executions/{id}/resume", path)))}
          >
            Resume
          </button>
        )}
        <button
          type="button"
          class="danger"
          onClick={() => void run("Cancelled", () => must(api.POST("/api/chainbot/executions/{id}/cancel", path)))}
        >
          Cancel
        </button>
      </div>
      <form class="row" onSubmit={(e) => void sendEvent(e)} aria-label="send event">
        <label>
          Event name
          <input value={eventName} required onInput={(e) => setEventName(e.currentTarget.value)} />
        </label>
        <label>
          Payload (JSON)
          <input value={payload} onInput={(e) => setPayload(e.currentTarget.value)} />
        </label>
        <button type="submit">Send event</button>
      </form>
      {note && (
        <p class="ok" role="status">
          {note}
        </p>
      )}
      <ErrorNote error={error} />
    </Section>
  );
}

export function ExecutionPage(props: { id?: string }) {
  const id = props.id ?? "";
  const ex = useAsync(() => must(api.GET("/api/chainbot/executions/{id}", { params: { path: { id } } })), [id]);
  // Every frame (snapshot, step, execution) means the object changed: read it again, whole.
  const live = useLiveSocket(id ? `/api/chainbot/executions/${encodeURIComponent(id)}/live` : null, () => ex.reload());
  const x = ex.data;
  return (
    <>
      <p>{x && <a href={href(`workflows/${x.workflow_id}`)}>← Workflow</a>}</p>
      <h1>Execution {id}</h1>
      <ErrorNote error={ex.error} />
      {x && (
        <>
          <Section
            title="Status"
            id="execution-status"
            actions={<span class="muted">{live ? "● live" : "○ not live"}</span>}
          >
            <div class="stats">
              <Stat label="status" value={<span data-testid="execution-status">{x.status}</span>} />
              <Stat label="steps" value={`${x.steps_completed} / ${x.total_steps}`} />
              <Stat label="duration (s)" value={x.duration ?? "—"} />
              <Stat label="version" value={x.workflow_version} />
              <Stat label="by" value={x.created_by} />
            </div>
            {x.error && (
              <p class="error">
                {x.error.code}: {x.error.message}
              </p>
            )}
          </Section>
          {can("chainbot:workflow:execute") && <Actions execution={x} onDone={ex.reload} />}
          <Section title="Step timeline" id="timeline">
            {x.steps.length === 0 ? (
              <p class="muted">No step has started yet.</p>
            ) : (
              <ol class="timeline" aria-label="step timeline">
                {x.steps.map((s) => (
                  <StepItem key={s.key} step={s} />
                ))}
              </ol>
            )}
          </Section>
          <Section title="Input and output">
            <Json value={{ input_data: x.input_data, output: x.output }} />
          </Section>
        </>
      )}
    </>
  );
}
