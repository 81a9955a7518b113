/**
 * Sign-in: paste a token (`npm run token`) or an API key. It goes to sessionStorage only after whoami accepts
 * it; the form is a password field, so it is not shown or remembered by the browser.
 */
import { useState } from "preact/hooks";
import { signIn } from "./api/session";
import { ErrorNote } from "./ui/parts";

export function SignIn() {
  const [secret, setSecret] = useState("");
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  async function submit(e: Event) {
    e.preventDefault();
    setBusy(true);
    setError(await signIn(secret));
    setBusy(false);
  }
  return (
    <main class="sign-in">
      <form onSubmit={(e) => void submit(e)} class="card">
        <h1>botplane console</h1>
        <label for="credential">Token or API key</label>
        <input
          id="credential"
          name="credential"
          type="password"
          autoComplete="off"
          required
          value={secret}
          onInput={(e) => setSecret(e.currentTarget.value)}
        />
        <p class="muted">Kept in this tab's session storage only. Scopes decide which pages you see.</p>
        <button type="submit" disabled={busy}>
          Sign in
        </button>
        <ErrorNote error={error} />
      </form>
    </main>
  );
}
