import { describe, it } from "vitest";
import { loadConfig } from "../../edge-agent/src/config";

const base = { EDGE_DEVICE_ID: "pi-kitchen", EDGE_DEVICE_TOKEN: "t" };

describe("edge-agent loadConfig", () => {
  it("should apply the defaults from the design", ({ expect }) => {
    const config = loadConfig(base);
    expect(config.STATUS_LED_PIN).toBe(18);
    expect(config.ERROR_LED_PIN).toBe(23);
    expect(config.TEMP_ALERT_C).toBe(80);
    expect(config.BOTPLANE_URL).toBe("http://127.0.0.1:8054");
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
