/**
 * Replies shaped to their surface: markdown stripped for plain-text surfaces, every reply cut to its length.
 */
import { describe, it } from "vitest";
import { formatReply, stripMarkdown } from "../../workers/chat/reply-format";

describe("reply format", () => {
  it("should strip markdown to its words", ({ expect }) => {
    expect(stripMarkdown("# Plan\n\n* **ship** the _beta_\n- call `Ann`\n[docs](https://x.test/a)")).toBe(
      "Plan\n\n- ship the beta\n- call Ann\ndocs (https://x.test/a)",
    );
    expect(stripMarkdown("snake_case_name and 2*3*4")).toBe("snake_case_name and 2*3*4");
  });

  it("should keep markdown on markdown surfaces and cut every reply to its surface's length", ({ expect }) => {
    expect(formatReply("**hi**", "web")).toBe("**hi**");
    expect(formatReply("**hi**", "sms")).toBe("hi");
    const cut = formatReply("x".repeat(2500), "discord");
    expect(cut.length).toBe(2000);
    expect(cut.endsWith("x…")).toBe(true);
  });
});
