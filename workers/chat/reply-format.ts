/**
 * Shapes a reply to its surface's policy: plain-text surfaces (SMS) get markdown stripped to its words, and
 * every reply is cut to the surface's length. The system prompt asks the model for this too; this makes it
 * hold whatever the model does.
 */
import { SURFACE_POLICIES, type Surface } from "./surfaces";

/** Markdown → plain text: emphasis, code marks, headings, list bullets and link syntax removed. */
export function stripMarkdown(text: string): string {
  return text
    .replace(/```[a-z]*\n?/gi, "")
    .replace(/!?\[([^\]]*)\]\(([^)\s]+)\)/g, "$1 ($2)")
    .replace(/^#{1,6}[ \t]+/gm, "")
    .replace(/^[ \t]*[-*+][ \t]+/gm, "- ")
    .replace(/(\*\*|__)(.+?)\1/g, "$2")
    .replace(/(^|[^\w*])[*_](\S(?:.*?\S)?)[*_](?=[^\w*]|$)/g, "$1$2")
    .replace(/`([^`]+)`/g, "$1");
}

export function formatReply(text: string, surface: Surface): string {
  const policy = SURFACE_POLICIES[surface];
  const shaped = policy.format === "plain" ? stripMarkdown(text) : text;
  return shaped.length <= policy.replyLength ? shaped : `${shaped.slice(0, policy.replyLength - 1)}…`;
}
