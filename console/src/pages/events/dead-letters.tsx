/**
 * Dead letters: filters, cursor paging, the message of one, replay one or every match (bulk, by the same
 * filters the API takes). Replay needs events:replay; without it the buttons are not shown.
 */
import { useState } from "preact/hooks";
import { api, must } from "../../api/client";
import { can } from "../../api/session";
import { Ago, ErrorNote, Json, Pager, Section } from "../../ui/parts";
import { Table } from "../../ui/table";
import { useAsync } from "../../ui/use-async";
import { href } from "../page";
import { Tabs } from "./tabs";

export function DeadLetters() {
  const [subject, setSubject] = useState("");
  const [handler, setHandler] = useState("");
  const [replayed, setReplayed] = useState<"" | "true" | "false">("false");
  const [cursor, setCursor] = useState<string | null>(null);
  const [open, setOpen] = useState<string | null>(null);
  const [note, setNote] = useState<string | null>(null);
  const [error, setError] = useState<string | null>(null);
  const list = useAsync(
    () =>
      must(
        api.GET("/api/v1/dead-letters", {
          params: {
            query: {
              subject: subject || undefined,
              handler: handler || undefined,
              replayed: replayed === "" ? undefined : replayed,
              cursor: cursor ?? undefined,
              limit: 50,
            },
          },
        }),
      ),
    [subject, handler, replayed, cursor],
  );
  async function act(work: () => Promise<string>) {
    try {
      setNote(await work());
      setError(null);
      list.reload();
    } catch (e) {
      setError(e instanceof Error ? e.message : String(e));
    }
  }
  const replayOne = (id: string) =>
    act(async () => {
      const d = await must(api.POST("/api/v1/dead-letters/{id}/replay", { params: { path: { id } } }));
      return `Replayed ${d.event_id} (replay ${d.replay_count}).`;
    });
  const replayAll = () =>
    act(async () => {
      const r = await must(
        api.POST("/api/v1/dead-letters/replay", {
          body: {
            subject: subject || undefined,
            handler: handler || undefined,
            include_replayed: replayed !== "false",
            limit: 100,
          },
        }),
      );
      return `Replayed ${r.replayed.length}, skipped ${r.skipped.length}.`;
    });
  const mayReplay = can("events:replay");
  return (
    <>
      <h1>Events</h1>
      <Tabs />
      <Section
        title="Dead letters"
        id="dead-letters"
        actions={
          mayReplay && (
            <button type="button" onClick={() => void replayAll()}>
              Replay all matching
            </button>
          )
        }
      >
        <form class="filters" onSubmit={(e) => e.preventDefault()}>
          <label>
            Subject
            <input value={subject} onChange={(e) => (setCursor(null), setSubject(e.currentTarget.value))} />
          </label>
          <label>
            Handler
            <input value={handler} onChange={(e) => (setCursor(null), setHandler(e.currentTarget.value))} />
          </label>
          <label>
            Replayed
            <select
              value={replayed}
              onChange={(e) => (setCursor(null), setReplayed(e.currentTarget.value as "" | "true" | "false"))}
            >
              <option value="false">not yet</option>
              <option value="true">already</option>
              <option value="">either</option>
            </select>
          </label>
        </form>
        {note && (
          <p class="ok" role="status">
            {note}
          </p>
        )}
        <ErrorNote error={error ?? list.error} />
        <Table
          label="dead letters"
          rows={list.data?.dead_letters}
          empty="No dead letters."
          columns={[
            { head: "subject", cell: (r) => r.subject },
            { head: "handler", cell: (r) => r.handler ?? "—" },
            { head: "error", cell: (r) => <code>{(r.error ?? "").slice(0, 100)}</code> },
            { head: "attempts", cell: (r) => r.attempts },
            { head: "dead since", cell: (r) => <Ago at={r.created_at} /> },
            { head: "replayed", cell: (r) => (r.replayed_at ? <Ago at={r.replayed_at} /> : "no") },
            {
              head: "event",
              cell: (r) =>
                r.event_id ? <a href={href(`events/event/${r.event_id}`)}>{r.event_id.slice(0, 8)}</a> : "—",
            },
            {
              head: "actions",
              cell: (r) => (
                <span class="row">
                  <button type="button" class="ghost" onClick={() => setOpen(open === r.id ? null : r.id)}>
                    {open === r.id ? "Hide" : "Message"}
                  </button>
                  {mayReplay && (
                    <button
                      type="button"
                      onClick={() => void replayOne(r.id)}
                      aria-label={`Replay ${r.event_id ?? r.id}`}
                    >
                      Replay
                    </button>
                  )}
                </span>
              ),
            },
          ]}
        />
        {open && <Json value={list.data?.dead_letters.find((d) => d.id === open)?.message} />}
        <Pager cursor={cursor} next={list.data?.next_cursor} onCursor={setCursor} />
      </Section>
    </>
  );
}
