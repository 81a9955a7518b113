/**
 * Devices: the edge directory (online/offline filter, cursor paging), one device with its CPU temperature plot
 * (the alert line at the hub's threshold), its telemetry history, its commands with their results, and
 * sending a command (edge:command).
 */
import { useState } from "preact/hooks";
import { api, must } from "../../api/client";
import { can } from "../../api/session";
import { Ago, ErrorNote, Json, Pager, Pill, Section, str } from "../../ui/parts";
import { Plot } from "../../ui/plot";
import { Table } from "../../ui/table";
import { useAsync } from "../../ui/use-async";
import { href, type PageDef, type PageRoute } from "../page";

function DevicesPage() {
  const [online, setOnline] = useState<"" | "true" | "false">("");
  const [cursor, setCursor] = useState<string | null>(null);
  const list = useAsync(
    () =>
      must(
        api.GET("/api/v1/edge/devices", {
          params: { query: { online: online === "" ? undefined : online, cursor: cursor ?? undefined, limit: 50 } },
        }),
      ),
    [online, cursor],
  );
  return (
    <>
      <h1>Devices</h1>
      <Section title="Edge devices" id="devices">
        <form class="filters" onSubmit={(e) => e.preventDefault()}>
          <label>
            Connection
            <select
              value={online}
              onChange={(e) => (setCursor(null), setOnline(e.currentTarget.value as "" | "true" | "false"))}
            >
              <option value="">any</option>
              <option value="true">online</option>
              <option value="false">offline</option>
            </select>
          </label>
        </form>
        <ErrorNote error={list.error} />
        <Table
          label="edge devices"
          rows={list.data?.devices}
          empty="No device has connected yet."
          columns={[
            {
              head: "device",
              cell: (r) => <a href={href(`devices/${encodeURIComponent(r.device_id)}`)}>{r.device_id}</a>,
            },
            { head: "state", cell: (r) => <Pill value={r.online} /> },
            { head: "CPU °C", cell: (r) => str((r.telemetry as Record<string, unknown> | null)?.cpu_temp_c) || "—" },
            { head: "over temp", cell: (r) => (r.over_temperature ? <Pill value="alert" /> : "no") },
            { head: "agent", cell: (r) => r.agent_version ?? "—" },
            { head: "last seen", cell: (r) => <Ago at={r.last_seen} /> },
          ]}
        />
        <Pager cursor={cursor} next={list.data?.next_cursor} onCursor={setCursor} />
      </Section>
    </>
  );
}

function SendCommand(props: { device: string; onSent: () => void }) {
  const [pin, setPin] = useState(18);
  const [value, setValue] = useState<0 | 1>(1);
  const [name, setName] = useState<"gpio.write" | "telemetry.read">("gpio.write");
  const [error, setError] = useState<string | null>(null);
  async function send(e: Event) {
    e.preventDefault();
    try {
      const body = name === "gpio.write" ? { name, args: { pin, value } } : { name, args: {} };
      await must(
        api.POST("/api/v1/edge/devices/{device_id}/commands", { params: { path: { device_id: props.device } }, body }),
      );
      setError(null);
      props.onSent();
    } catch (err) {
      setError(err instanceof Error ? err.message : String(err));
    }
  }
  return (
    <form class="row" onSubmit={(e) => void send(e)} aria-label="send command">
      <label>
        Command
        <select value={name} onChange={(e) => setName(e.currentTarget.value as "gpio.write" | "telemetry.read")}>
          <option>gpio.write</option>
          <option>telemetry.read</option>
        </select>
      </label>
      {name === "gpio.write" && (
        <>
          <label>
            Pin
            <input type="number" min={0} max={27} value={pin} onInput={(e) => setPin(Number(e.currentTarget.value))} />
          </label>
          <label>
            Value
            <select value={value} onChange={(e) => setValue(e.currentTarget.value === "1" ? 1 : 0)}>
              <option value="1">1</option>
              <option value="0">0</option>
            </select>
          </label>
        </>
      )}
      <button type="submit">Send</button>
      <ErrorNote error={error} />
    </form>
  );
}

function DevicePage(props: { id?: string }) {
  const id = decodeURIComponent(props.id ?? "");
  const path = { device_id: id };
  const device = useAsync(() => must(api.GET("/api/v1/edge/devices/{device_id}", { params: { path } })), [id]);
  const telemetry = useAsync(
    () => must(api.GET("/api/v1/edge/devices/{device_id}/telemetry", { params: { path, query: { limit: 500 } } })),
    [id],
  );
  const commands = useAsync(
    () => must(api.GET("/api/v1/edge/devices/{device_id}/commands", { params: { path, query: { limit: 50 } } })),
    [id],
  );
  const readings = (telemetry.data?.readings ?? [])
    .flatMap((r) => (r ? [r] : []))
    .sort((a, b) => Date.parse(a.at) - Date.parse(b.at));
  const temp = (r: (typeof readings)[number]) => (typeof r.data.cpu_temp_c === "number" ? r.data.cpu_temp_c : null);
  return (
    <>
      <p>
        <a href={href("devices")}>← Devices</a>
      </p>
      <h1>
        {id} {device.data && <Pill value={device.data.online} />}
      </h1>
      <ErrorNote error={device.error ?? telemetry.error} />
      <Section title="CPU temperature" id="temperature">
        <Plot
          title={`CPU temperature (°C), alert at ${device.data?.thresholds.alert_c ?? "…"} °C`}
          unit="°C"
          x={readings.map((r) => Date.parse(r.at) / 1000)}
          series={[{ label: "CPU °C", values: readings.map(temp), color: "#c77d24" }]}
          threshold={device.data?.thresholds.alert_c}
        />
      </Section>
      <Section title="Commands" id="commands">
        {can("edge:command") && <SendCommand device={id} onSent={commands.reload} />}
        <Table
          label="commands"
          rows={commands.data?.commands}
          empty="No commands yet."
          columns={[
            { head: "seq", cell: (r) => r.seq },
            { head: "name", cell: (r) => <code>{r.name}</code> },
            { head: "args", cell: (r) => <code>{JSON.stringify(r.args)}</code> },
            { head: "status", cell: (r) => <Pill value={r.status} /> },
            { head: "result", cell: (r) => <code>{JSON.stringify(r.result ?? r.error ?? null)}</code> },
            { head: "sent", cell: (r) => <Ago at={r.created_at} /> },
          ]}
        />
      </Section>
      <Section title="Telemetry" id="telemetry">
        <Table
          label="telemetry"
          rows={readings.slice(-50).reverse()}
          columns={[
            { head: "at", cell: (r) => <code>{r.at}</code> },
            { head: "CPU °C", cell: (r) => str(temp(r)) },
            { head: "uptime s", cell: (r) => str(r.data.uptime_s) },
          ]}
        />
      </Section>
      {device.data && (
        <Section title="Device detail">
          <Json value={device.data} />
        </Section>
      )}
    </>
  );
}

export const page: PageDef = {
  path: "devices",
  title: "Devices",
  order: 60,
  scopes: ["edge:read"],
  routes: [
    { path: "", component: DevicesPage },
    { path: ":id", component: DevicePage as PageRoute["component"] },
  ],
};
