import { type FormEvent, useState } from 'react';

import { useAuth } from '../auth';
import { ErrorMessage } from '../components/ui';

export function SignIn() {
  const { signIn, notice } = useAuth();
  const [email, setEmail] = useState('');
  const [password, setPassword] = useState('');
  const [problem, setProblem] = useState<string | null>(null);
  const [error, setError] = useState<unknown>(null);
  const [busy, setBusy] = useState(false);

  const submit = async (e: FormEvent) => {
    e.preventDefault();
    setError(null);
    if (!/^\S+@\S+\.\S+$/.test(email.trim())) return setProblem('Enter your e-mail address.');
    if (password === '') return setProblem('Enter your password.');
    setProblem(null);
    setBusy(true);
    try {
      await signIn(email.trim(), password);
    } catch (err) {
      setError(err);
    } finally {
      setBusy(false);
    }
  };

  return (
    <main id="main" className="container sign-in">
      <article>
        <h1>Sign in to OpenClaw</h1>
        {notice && <p role="status">{notice}</p>}
        <form onSubmit={submit} noValidate>
          <label>
            E-mail
            <input
              type="email"
              name="email"
              autoComplete="username"
              value={email}
              onChange={(e) => setEmail(e.target.value)}
              aria-invalid={problem?.includes('e-mail') ? true : undefined}
              required
            />
          </label>
          <label>
            Password
            <input
              type="password"
              name="password"
              autoComplete="current-password"
              value={password}
              onChange={(e) => setPassword(e.target.value)}
              aria-invalid={problem?.includes('password') ? true : undefined}
              required
            />
          </label>
          {problem && (
            <p role="alert" className="error">
              {problem}
            </p>
          )}
          <ErrorMessage error={error} />
          <button type="submit" aria-busy={busy} disabled={busy}>
            Sign in
          </button>
        </form>
        <p className="hint">
          First start: the first admin is ADMIN_EMAIL, or admin@openclaw.local with the password in
          data/initial-admin-password.
        </p>
      </article>
    </main>
  );
}
