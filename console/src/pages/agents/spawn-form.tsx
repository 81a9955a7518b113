/**
 * The spawn form: the type picks the fields of its config (the README's table: an assistant's personality
 * and style, a data processor's processing type and algorithms, an api agent's base URL and auth, a workflow
 * agent's workflows). The server fills the defaults and names any bad field; its message is shown as is.
 */
import { useState } from "preact/hooks";
import { api, must } from "../../api/client";
import type { components } from "../../api/openapi";
import { ErrorNote } from "../../ui/parts";

export type AgentType = components["schemas"]["ChainbotAgent"]["agent_type"];
export const AGENT_TYPES: readonly AgentType[] = ["assistant", "data_processor", "api", "workflow"];
type SpawnBody = components["schemas"]["ChainbotSpawnAgent"];

interface Field {
  key: string;
  label: string;
  /** A comma-separated list sent as an array. */
  list?: boolean;
  options?: readonly string[];
  required?: boolean;
}

const FIELDS: Record<AgentType, Field[]> = {
  assistant: [
    { key: "personality", label: "Personality" },
    { key: "response_style", label: "Response style" },
    { key: "function_name", label: "Model function" },
    { key: "knowledge_base", label: "Knowledge base (comma-separated)", list: true },
  ],
  data_processor: [
    { key: "processing_type", label: "Processing type" },
    { key: "algorithms", label: "Algorithms (comma-separated)", list: true },
    { key: "output_format", label: "Output format", options: ["json", "csv", "text"] },
  ],
  api: [
    { key: "base_url", label: "Base URL", required: true },
    { key: "auth_token", label: "Bearer token (optional)" },
  ],
  workflow: [{ key: "workflow_ids", label: "Workflow ids (comma-separated)", list: true }],
};

/** The config the API takes, from the form's strings: blanks left out so the server's defaults apply. */
function configOf(type: AgentType, values: Record<string, string>): Record<string, unknown> {
  const config: Record<string, unknown> = { name: values.name?.trim() ?? "" };
  if (values.description?.trim()) config.description = values.description.trim();
  for (const f of FIELDS[type]) {
    const v = values[f.key]?.trim() ?? "";
    if (!v) continue;
    if (f.key === "auth_token") config.auth = { type: "bearer", token: v };
    else if (f.list)
      config[f.key] = v
        .split(",")
        .map((s) => s.trim())
        .filter(Boolean);
    else config[f.key] = v;
  }
  return config;
}

export function SpawnForm(props: { onSpawned: () => void }) {
  const [type, setType] = useState<AgentType>("assistant");
  const [values, setValues] = useState<Record<string, string>>({});
  const [error, setError] = useState<string | null>(null);
  const [spawned, setSpawned] = useState<string | null>(null);
  const set = (key: string, v: string) => setValues({ ...values, [key]: v });
  async function submit(e: Event) {
    e.preventDefault();
    // The body's type is a union over the four types; the server validates the config for the type sent.
    const body = { agent_type: type, config: configOf(type, values) } as unknown as SpawnBody;
    try {
      const agent = await must(api.POST("/api/chainbot/agents", { body }));
      setError(null);
      setSpawned(`Spawned ${agent.name} (${agent.id})`);
      setValues({});
      props.onSpawned();
    } catch (err) {
      setSpawned(null);
      setError(err instanceof Error ? err.message : String(err));
    }
  }
  return (
    <form class="row" onSubmit={(e) => void submit(e)} aria-label="spawn agent">
      <label>
        Agent type
        <select value={type} onChange={(e) => setType(e.currentTarget.value as AgentType)}>
          {AGENT_TYPES.map((t) => (
            <option key={t} value={t}>
              {t}
            </option>
          ))}
        </select>
      </label>
      <label>
        Agent name
        <input value={values.name ?? ""} required onInput={(e) => set("name", e.currentTarget.value)} />
      </label>
      <label>
        Description
        <input value={values.description ?? ""} onInput={(e) => set("description", e.currentTarget.value)} />
      </label>
      {FIELDS[type].map((f) => (
        <label key={`${type}.${f.key}`}>
          {f.label}
          {f.options ? (
            <select value={values[f.key] ?? ""} onChange={(e) => set(f.key, e.currentTarget.value)}>
              <option value="">default</option>
              {f.options.map((o) => (
                <option key={o} value={o}>
                  {o}
                </option>
              ))}
            </select>
          ) : (
            <input
              value={values[f.key] ?? ""}
              required={f.required}
              onInput={(e) => set(f.key, e.currentTarget.value)}
            />
          )}
        </label>
      ))}
      <button type="submit">Spawn</button>
      {spawned && (
        <p class="ok" role="status">
          {spawned}
        </p>
      )}
      <ErrorNote error={error} />
    </form>
  );
}
