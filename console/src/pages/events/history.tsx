/**
 * Event history by time, subject/type and source with cursor paging; one event's whole body; a throughput
 * plot of the page shown (events per minute).
 */
import { useLocation } from "preact-iso";
import { useState } from "preact/hooks";
import { api, must } from "../../api/client";
import { ErrorNote, Json, Pager, Section } from "../../ui/parts";
import { Plot } from "../../ui/plot";
import { Table } from "../../ui/table";
import { useAsync } from "../../ui/use-async";
import { href } from "../page";
import { Tabs } from "./tabs";

export function History() {
  // ?correlation_id= comes from an event's page: the events that share its correlation.
  const { query } = useLocation();
  const correlation = query.correlation_id ?? "";
  const [subject, setSubject] = useState("");
  const [source, setSource] = useState("");
  const [from, setFrom] = useState("");
  const [cursor, setCursor] = useState<string | null>(null);
  const page = useAsync(
    () =>
      must(
        api.GET("/api/v1/events", {
          params: {
            query: {
              subject: subject ? [subject] : undefined,
              source: source || undefined,
              correlation_id: correlation || undefined,
              from: from ? new Date(from).toISOString() : undefined,
              cursor: cursor ?? undefined,
              limit: 100,
              order: "desc",
            },
          },
        }),
      ),
    [subject, source, from, correlation, cursor],
  );
  const perMinute = new Map<number, number>();
  for (const e of page.data?.events ?? []) {
    const m = Math.floor(Date.parse(e.timestamp) / 60_000) * 60;
    perMinute.set(m, (perMinute.get(m) ?? 0) + 1);
  }
  const minutes = [...perMinute.keys()].sort((a, b) => a - b);
  return (
    <>
      <h1>Events</h1>
      <Tabs />
      <Section title={correlation ? `History of correlation ${correlation}` : "History"} id="history">
        <form class="filters" onSubmit={(e) => e.preventDefault()}>
          <label>
            Subject or type
            <input value={subject} onChange={(e) => (setCursor(null), setSubject(e.currentTarget.value))} />
          </label>
          <label>
            Source
            <input value={source} onChange={(e) => (setCursor(null), setSource(e.currentTarget.value))} />
          </label>
          <label>
            From
            <input
              type="datetime-local"
              value={from}
              onChange={(e) => (setCursor(null), setFrom(e.currentTarget.value))}
            />
          </label>
        </form>
        <ErrorNote error={page.error} />
        {minutes.length > 1 && (
          <Plot
            title="events per minute (this page)"
            unit="events"
            x={minutes}
            series={[{ label: "events", values: minutes.map((m) => perMinute.get(m) ?? 0), color: "#7a3fc7" }]}
          />
        )}
        <Table
          label="event history"
          rows={page.data?.events}
          columns={[
            { head: "time", cell: (r) => <code>{r.timestamp}</code> },
            { head: "type", cell: (r) => r.type },
            { head: "source", cell: (r) => r.source },
            { head: "correlation", cell: (r) => <code>{r.correlation_id?.slice(0, 8)}</code> },
            { head: "event", cell: (r) => <a href={href(`events/event/${r.event_id}`)}>{r.event_id.slice(0, 8)}</a> },
          ]}
        />
        <Pager cursor={cursor} next={page.data?.next_cursor} onCursor={setCursor} />
      </Section>
    </>
  );
}

export function OneEvent(props: { id?: string }) {
  const id = props.id ?? "";
  const event = useAsync(
    () => must(api.GET("/api/v1/events/{event_id}", { params: { path: { event_id: id } } })),
    [id],
  );
  return (
    <>
      <p>
        <a href={href("events/history")}>← History</a>
      </p>
      <h1>Event {id}</h1>
      <ErrorNote error={event.error} />
      {event.data && (
        <Section title={event.data.type}>
          <p>
            Correlation:{" "}
            <a href={`${href("events/history")}?correlation_id=${encodeURIComponent(event.data.correlation_id ?? "")}`}>
              <code>{event.data.correlation_id}</code>
            </a>
          </p>
          <Json value={event.data} />
        </Section>
      )}
    </>
  );
}
