import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, it } from "vitest";
import { loadConfig } from "../../edge-agent/src/config";

const base = { EDGE_DEVICE_ID: "pi-kitchen", EDGE_DEVICE_TOKEN: "t" };

describe("edge-agent loadConfig", () => {
  it("should apply the defaults from the design", ({ expect }) => {
    const config = loadConfig(base);
    expect(config.STATUS_LED_PIN).toBe(18);
    expect(config.ERROR_LED_PIN).toBe(23);
    expect(config.TEMP_ALERT_C).toBe(80);
    expect(config.BOTPLANE_URL).toBe("http://127.0.0.1:8054");
    expect(config.EDGE_STATE_DIR).toBe("/var/lib/botplane-edge-agent");
    expect(config.EDGE_LOG_LEVEL).toBe("info");
  });

  it("should name every bad variable", ({ expect }) => {
    expect(() => loadConfig({ EDGE_DEVICE_ID: "Bad Id", STATUS_LED_PIN: "99" })).toThrow(
      /EDGE_DEVICE_ID.*EDGE_DEVICE_TOKEN.*STATUS_LED_PIN|EDGE_DEVICE_ID/,
    );
    expect(() => loadConfig({ EDGE_DEVICE_ID: "Bad Id", STATUS_LED_PIN: "99" })).toThrow(/STATUS_LED_PIN/);
  });

  it("should reject a clear threshold at or above the alert threshold", ({ expect }) => {
    expect(() => loadConfig({ ...base, TEMP_ALERT_C: "70", TEMP_CLEAR_C: "75" })).toThrow(/TEMP_CLEAR_C/);
  });
});

describe("edge-agent loadConfig, second pass", () => {
  it("should default the new settings as the seed and the design say", ({ expect }) => {
    const config = loadConfig(base);
    expect({
      transport: config.EDGE_TRANSPORT,
      gpio: config.ENABLE_GPIO_INTEGRATION,
      backend: config.GPIO_BACKEND,
      chip: config.GPIO_CHIP,
      pins: config.GPIO_ALLOWED_PINS,
      alert: config.TEMP_ALERT_C,
      clear: config.TEMP_CLEAR_C,
      interval: config.TELEMETRY_INTERVAL_SECONDS,
    }).toEqual({
      transport: "websocket",
      gpio: false,
      backend: "gpiod",
      chip: "gpiochip0",
      pins: [18, 23],
      alert: 80,
      clear: 75,
      interval: 30,
    });
  });

  it("should parse booleans, pin lists and the seed's threshold alias from the environment", ({ expect }) => {
    const config = loadConfig({
      ...base,
      EDGE_TRANSPORT: "poll",
      ENABLE_GPIO_INTEGRATION: "false",
      GPIO_ALLOWED_PINS: "23, 18,24",
      CPU_TEMP_THRESHOLD_CELSIUS: "85",
    });
    expect([config.EDGE_TRANSPORT, config.ENABLE_GPIO_INTEGRATION]).toEqual(["poll", false]);
    expect(config.GPIO_ALLOWED_PINS).toEqual([18, 23, 24]);
    expect(config.TEMP_ALERT_C).toBe(85);
    expect(loadConfig({ ...base, ENABLE_GPIO_INTEGRATION: "true" }).ENABLE_GPIO_INTEGRATION).toBe(true);
  });

  it("should name each bad new variable", ({ expect }) => {
    const message = (env: Record<string, string>) => {
      try {
        loadConfig({ ...base, ...env });
      } catch (err) {
        return err instanceof Error ? err.message : String(err);
      }
      return "no error";
    };
    expect(message({ EDGE_TRANSPORT: "carrier-pigeon" })).toMatch(/^edge-agent config: EDGE_TRANSPORT: /);
    expect(message({ ENABLE_GPIO_INTEGRATION: "maybe" })).toMatch(/^edge-agent config: ENABLE_GPIO_INTEGRATION: /);
    expect(message({ GPIO_BACKEND: "onoff" })).toMatch(/^edge-agent config: GPIO_BACKEND: /);
    expect(message({ GPIO_CHIP: "/dev/gpiochip0" })).toMatch(/^edge-agent config: GPIO_CHIP: a chip name/);
    expect(message({ GPIO_ALLOWED_PINS: "18,x" })).toMatch(/^edge-agent config: GPIO_ALLOWED_PINS\.1: /);
    expect(message({ GPIO_ALLOWED_PINS: "24" })).toMatch(
      /GPIO_ALLOWED_PINS must include the LED pins \(missing 18, 23\)/,
    );
    expect(message({ TELEMETRY_INTERVAL_SECONDS: "0" })).toMatch(/^edge-agent config: TELEMETRY_INTERVAL_SECONDS: /);
    expect(message({ TEMP_ALERT_C: "80", CPU_TEMP_THRESHOLD_CELSIUS: "85" })).toMatch(
      /TEMP_ALERT_C \(80\) and CPU_TEMP_THRESHOLD_CELSIUS \(85\) disagree/,
    );
    expect(message({ STATUS_LED_PIN: "23" })).toMatch(/STATUS_LED_PIN and ERROR_LED_PIN must be different/);
    expect(message({ EDGE_LOG_LEVEL: "verbose" })).toMatch(/^edge-agent config: EDGE_LOG_LEVEL: /);
    expect(message({ EDGE_STATE_DIR: "" })).toMatch(/^edge-agent config: EDGE_STATE_DIR: /);
  });
});

describe("edge-agent loadConfig with EDGE_CONFIG_FILE", () => {
  let dir = "";
  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), "edge-config-"));
  });
  afterEach(async () => {
    await rm(dir, { recursive: true, force: true });
  });
  const withFile = async (contents: string, env: Record<string, string> = {}) => {
    const file = join(dir, "edge-agent.json");
    await writeFile(file, contents);
    return { file, load: () => loadConfig({ ...base, ...env, EDGE_CONFIG_FILE: file }) };
  };

  it("should take seed 004's raspberry_pi section as it is", async ({ expect }) => {
    const { load } = await withFile(
      JSON.stringify({
        enable_hardware_monitoring: true,
        cpu_temp_threshold_celsius: 82,
        enable_gpio_integration: true,
        gpio_pins: { status_led: 17, error_led: 27 },
      }),
    );
    const config = load();
    expect([config.TEMP_ALERT_C, config.ENABLE_GPIO_INTEGRATION, config.STATUS_LED_PIN, config.ERROR_LED_PIN]).toEqual([
      82,
      true,
      17,
      27,
    ]);
    expect(config.GPIO_ALLOWED_PINS).toEqual([17, 27]);
  });

  it("should let the environment override the file", async ({ expect }) => {
    const { load } = await withFile(JSON.stringify({ EDGE_TRANSPORT: "poll", GPIO_ALLOWED_PINS: [18, 23, 4] }), {
      EDGE_TRANSPORT: "websocket",
    });
    expect([load().EDGE_TRANSPORT, load().GPIO_ALLOWED_PINS]).toEqual(["websocket", [4, 18, 23]]);
  });

  it("should name the file and the setting for a bad value, an unknown key or bad JSON", async ({ expect }) => {
    const bad = await withFile(JSON.stringify({ GPIO_BACKEND: "pigpio" }));
    expect(bad.load).toThrow(`GPIO_BACKEND (in ${bad.file}): `);
    const typo = await withFile(JSON.stringify({ enable_gpio_integraton: true }));
    expect(typo.load).toThrow(`EDGE_CONFIG_FILE ${typo.file}: unknown setting enable_gpio_integraton`);
    const broken = await withFile("{ not json");
    expect(broken.load).toThrow(`EDGE_CONFIG_FILE ${broken.file} is not JSON`);
    expect(() => loadConfig({ ...base, EDGE_CONFIG_FILE: join(dir, "absent.json") })).toThrow(/cannot be read/);
  });
});
