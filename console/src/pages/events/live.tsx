/**
 * Live tail over GET /api/v1/events/stream with subject wildcards (`botz.>`, `*.heartbeat.v1`); newest first,
 * the last 200 kept, each row linking to the stored event.
 */
import { useEffect, useState } from "preact/hooks";
import { tailEvents } from "../../api/event-stream";
import { ErrorNote, Section } from "../../ui/parts";
import { Table } from "../../ui/table";
import { href } from "../page";
import { Tabs } from "./tabs";

interface LiveEvent {
  event_id: string;
  type: string;
  source: string;
  timestamp: string;
  payload: unknown;
}

export function LiveTail() {
  const [draft, setDraft] = useState(">");
  const [subjects, setSubjects] = useState<string[]>([">"]);
  const [events, setEvents] = useState<LiveEvent[]>([]);
  const [error, setError] = useState<string | null>(null);
  const [live, setLive] = useState(false);
  useEffect(() => {
    const abort = new AbortController();
    tailEvents(
      subjects,
      () => setLive(true),
      (frame) => {
        try {
          const e = (JSON.parse(frame.data) as { event?: LiveEvent }).event;
          if (e?.event_id) setEvents((prev) => [e, ...prev].slice(0, 200));
        } catch {
          // A frame that is not an event (a notice) is not a row.
        }
      },
      abort.signal,
    ).then(
      () => setLive(false),
      (e: unknown) => {
        if (abort.signal.aborted) return;
        setLive(false);
        setError(e instanceof Error ? e.message : String(e));
      },
    );
    return () => abort.abort();
  }, [subjects]);
  return (
    <>
      <h1>Events</h1>
      <Tabs />
      <Section
        title="Live tail"
        id="live"
        actions={<span class={live ? "ok" : "muted"}>{live ? "● live" : "○ stopped"}</span>}
      >
        <form
          class="filters"
          onSubmit={(e) => {
            e.preventDefault();
            setEvents([]);
            setError(null);
            setSubjects(draft.split(/[\s,]+/).filter(Boolean));
          }}
        >
          <label>
            Subjects (wildcards * and &gt;, comma-separated)
            <input name="subjects" value={draft} onInput={(e) => setDraft(e.currentTarget.value)} />
          </label>
          <button type="submit">Tail</button>
        </form>
        <ErrorNote error={error} />
        <Table
          label="live events"
          rows={events}
          empty="Waiting for events…"
          columns={[
            { head: "time", cell: (r) => <code>{r.timestamp}</code> },
            { head: "type", cell: (r) => r.type },
            { head: "source", cell: (r) => r.source },
            { head: "event", cell: (r) => <a href={href(`events/event/${r.event_id}`)}>{r.event_id.slice(0, 8)}</a> },
            { head: "payload", cell: (r) => <code>{JSON.stringify(r.payload).slice(0, 120)}</code> },
          ]}
        />
      </Section>
    </>
  );
}
