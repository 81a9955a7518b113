/**
 * One entanglement: its members (add / remove with `chainbot:entanglement:manage`), the message history of
 * one member's view (or all of it) with cursor paging, the same view live over the entanglement's WebSocket,
 * and sending a private or broadcast message from a member.
 */
import { useState } from "preact/hooks";
import { api, must } from "../../api/client";
import { useLiveSocket } from "../../api/live-socket";
import type { components } from "../../api/openapi";
import { can } from "../../api/session";
import { Ago, ErrorNote, Pager, Pill, Section } from "../../ui/parts";
import { Table } from "../../ui/table";
import { useAsync } from "../../ui/use-async";
import { href } from "../page";
import { SendForm } from "./send-form";

type Message = components["schemas"]["ChainbotMessage"];
type Member = components["schemas"]["ChainbotEntanglement"]["members"][number];

/**
 * A socket frame's message as the history shows it: the socket sends the stored record (no `kind`,
 * `created_at` in epoch ms) where the REST history sends the presented one.
 */
function asMessage(raw: Record<string, unknown>): Message {
  const m = raw as Message & { created_at: string | number };
  return {
    ...m,
    kind: m.receiver_id === null ? "broadcast" : "private",
    created_at: typeof m.created_at === "number" ? new Date(m.created_at).toISOString() : m.created_at,
  };
}

function Messages(props: { label: string; rows: readonly Message[] | undefined; members: readonly Member[] }) {
  const nameOf = (id: string | null) =>
    id === null ? "everyone" : (props.members.find((m) => m.agent_id === id)?.name ?? id);
  return (
    <Table
      label={props.label}
      rows={props.rows}
      empty="No messages."
      columns={[
        { head: "seq", cell: (m) => m.seq },
        { head: "kind", cell: (m) => m.kind },
        { head: "type", cell: (m) => <Pill value={m.message_type} /> },
        { head: "from", cell: (m) => nameOf(m.sender_id) },
        { head: "to", cell: (m) => nameOf(m.receiver_id) },
        { head: "content", cell: (m) => m.content },
        { head: "at", cell: (m) => <Ago at={m.created_at} /> },
      ]}
    />
  );
}

function Members(props: { id: string; members: readonly Member[]; onChange: () => void }) {
  const manage = can("chainbot:entanglement:manage");
  const agents = useAsync(
    () =>
      manage ? must(api.GET("/api/chainbot/agents", { params: { query: { limit: 200 } } })) : Promise.resolve(null),
    [manage],
  );
  const [pick, setPick] = useState("");
  const [error, setError] = useState<string | null>(null);
  async function act(call: () => Promise<unknown>) {
    try {
      await call();
      setError(null);
      props.onChange();
    } catch (err) {
      setError(err instanceof Error ? err.message : String(err));
    }
  }
  const candidates = (agents.data?.agents ?? []).filter(
    (a) => a.status !== "terminated" && !props.members.some((m) => m.agent_id === a.id),
  );
  const path = { id: props.id };
  return (
    <Section title="Members" id="members">
      <Table
        label="members"
        rows={props.members}
        columns={[
          { head: "name", cell: (m) => m.name },
          { head: "type", cell: (m) => m.agent_type },
          { head: "agent", cell: (m) => <code>{m.agent_id}</code> },
          { head: "joined", cell: (m) => <Ago at={m.joined_at} /> },
          ...(manage
            ? [
                {
                  head: "",
                  cell: (m: Member) => (
                    <button
                      type="button"
                      class="ghost"
                      onClick={() =>
                        void act(() =>
                          must(
                            api.DELETE("/api/chainbot/entanglements/{id}/agents/{agent_id}", {
                              params: { path: { ...path, agent_id: m.agent_id } },
                            }),
                          ),
                        )
                      }
                    >
                      Remove {m.name}
                    </button>
                  ),
                },
              ]
            : []),
        ]}
      />
      {manage && candidates.length > 0 && (
        <form
          class="row"
          aria-label="add member"
          onSubmit={(e) => {
            e.preventDefault();
            if (pick)
              void act(() =>
                must(
                  api.POST("/api/chainbot/entanglements/{id}/agents", { params: { path }, body: { agent_id: pick } }),
                ),
              );
          }}
        >
          <label>
            Agent
            <select value={pick} onChange={(e) => setPick(e.currentTarget.value)}>
              <option value="">pick one</option>
              {candidates.map((a) => (
                <option key={a.id} value={a.id}>
                  {a.name} ({a.agent_type})
                </option>
              ))}
            </select>
          </label>
          <button type="submit">Add member</button>
        </form>
      )}
      <ErrorNote error={error} />
    </Section>
  );
}

export function EntanglementPage(props: { id?: string }) {
  const id = props.id ?? "";
  const team = useAsync(() => must(api.GET("/api/chainbot/entanglements/{id}", { params: { path: { id } } })), [id]);
  const [member, setMember] = useState("");
  const [cursor, setCursor] = useState<string | null>(null);
  const [live, setLive] = useState<Message[]>([]);
  const history = useAsync(
    () =>
      must(
        api.GET("/api/chainbot/entanglements/{id}/messages", {
          params: { path: { id }, query: { member: member || undefined, cursor: cursor ?? undefined, limit: 50 } },
        }),
      ),
    [id, member, cursor],
  );
  const socketPath = id
    ? `/api/chainbot/entanglements/${encodeURIComponent(id)}/ws${member ? `?member=${encodeURIComponent(member)}` : ""}`
    : null;
  const open = useLiveSocket(socketPath, (frame) => {
    const raw = frame.message;
    if (frame.type === "message" && raw !== null && typeof raw === "object")
      setLive((l) => [...l, asMessage(raw as Record<string, unknown>)].slice(-200));
  });
  const t = team.data;
  const members = t?.members ?? [];
  return (
    <>
      <p>
        <a href={href("entanglements")}>← Entanglements</a>
      </p>
      <h1>{t?.name ?? id}</h1>
      <ErrorNote error={team.error} />
      {t?.description && <p class="muted">{t.description}</p>}
      {t && <Members id={id} members={members} onChange={team.reload} />}
      <Section
        title="Messages"
        id="messages"
        actions={
          <label>
            View as
            <select
              value={member}
              onChange={(e) => {
                setCursor(null);
                setLive([]);
                setMember(e.currentTarget.value);
              }}
            >
              <option value="">everyone (all messages)</option>
              {members.map((m) => (
                <option key={m.agent_id} value={m.agent_id}>
                  {m.name}
                </option>
              ))}
            </select>
          </label>
        }
      >
        <ErrorNote error={history.error} />
        <Messages label="message history" rows={history.data?.messages} members={members} />
        <Pager cursor={cursor} next={history.data?.next_cursor} onCursor={setCursor} />
      </Section>
      <Section title="Live" id="live" actions={<span class="muted">{open ? "● live" : "○ not live"}</span>}>
        <Messages label="live messages" rows={live} members={members} />
      </Section>
      {t && can("chainbot:entanglement:manage") && members.length > 0 && (
        <Section title="Send a message" id="send">
          <SendForm id={id} members={members} onSent={history.reload} />
        </Section>
      )}
    </>
  );
}
