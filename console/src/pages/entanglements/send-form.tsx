/**
 * Sending a message in an entanglement as one of its members: to one other member (private) or to everyone
 * (broadcast), with its message type.
 */
import { useState } from "preact/hooks";
import { api, must } from "../../api/client";
import type { components } from "../../api/openapi";
import { ErrorNote } from "../../ui/parts";

type Member = components["schemas"]["ChainbotEntanglement"]["members"][number];
type MessageType = components["schemas"]["ChainbotMessage"]["message_type"];
const TYPES: readonly MessageType[] = ["notification", "task", "data", "status", "response", "error"];

export function SendForm(props: { id: string; members: readonly Member[]; onSent: () => void }) {
  const [sender, setSender] = useState(props.members[0]?.agent_id ?? "");
  const [receiver, setReceiver] = useState("");
  const [type, setType] = useState<MessageType>("notification");
  const [content, setContent] = useState("");
  const [error, setError] = useState<string | null>(null);
  async function submit(e: Event) {
    e.preventDefault();
    try {
      await must(
        api.POST("/api/chainbot/entanglements/{id}/messages", {
          params: { path: { id: props.id } },
          body: { sender_id: sender, receiver_id: receiver || undefined, content, message_type: type },
        }),
      );
      setError(null);
      setContent("");
      props.onSent();
    } catch (err) {
      setError(err instanceof Error ? err.message : String(err));
    }
  }
  // The selects carry their own aria-label: a wrapping label's name would take in the chosen option's text.
  return (
    <form class="row" onSubmit={(e) => void submit(e)} aria-label="send message">
      <label>
        From
        <select aria-label="From" value={sender} onChange={(e) => setSender(e.currentTarget.value)}>
          {props.members.map((m) => (
            <option key={m.agent_id} value={m.agent_id}>
              {m.name}
            </option>
          ))}
        </select>
      </label>
      <label>
        To
        <select aria-label="To" value={receiver} onChange={(e) => setReceiver(e.currentTarget.value)}>
          <option value="">everyone (broadcast)</option>
          {props.members
            .filter((m) => m.agent_id !== sender)
            .map((m) => (
              <option key={m.agent_id} value={m.agent_id}>
                {m.name} (private)
              </option>
            ))}
        </select>
      </label>
      <label>
        Type
        <select aria-label="Message type" value={type} onChange={(e) => setType(e.currentTarget.value as MessageType)}>
          {TYPES.map((t) => (
            <option key={t} value={t}>
              {t}
            </option>
          ))}
        </select>
      </label>
      <label>
        Content
        <input value={content} required onInput={(e) => setContent(e.currentTarget.value)} />
      </label>
      <button type="submit">Send</button>
      <ErrorNote error={error} />
    </form>
  );
}
