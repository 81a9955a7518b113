/**
 * Masking for what the chat gateway writes to its audit log: credentials keep only their last four
 * characters, and anything that looks like a phone number keeps its last two digits.
 */

/** `eyJhbGciOi…abcd` → `***abcd`; short values are masked whole. */
export function maskCredential(credential: string | null | undefined): string | null {
  if (!credential) return null;
  return credential.length <= 8 ? "***" : `***${credential.slice(-4)}`;
}

// Seven or more digits, optionally led by `+` and broken by spaces, dots, dashes or parentheses.
const PHONE = /\+?\d[\d\s().-]{5,}\d/g;

/** Replaces every phone-number-like run in free text: `+1 (555) 123-4567` → `+*********67`. */
export function maskPhones(text: string): string {
  return text.replace(PHONE, (run) => {
    const digits = run.replace(/\D/g, "");
    if (digits.length < 7) return run;
    return `${run.startsWith("+") ? "+" : ""}${"*".repeat(digits.length - 2)}${digits.slice(-2)}`;
  });
}
