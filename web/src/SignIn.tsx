import { useState, type FormEvent } from 'react';
import type { User } from '@orghub/sdk';
import { client, errorText, remember } from './api.ts';

export function SignIn({ onSignedIn }: { onSignedIn: (u: User) => void }) {
  const [org, setOrg] = useState(localStorage.getItem('orghub.org') ?? '');
  const [username, setUsername] = useState('');
  const [password, setPassword] = useState('');
  const [error, setError] = useState('');
  const [busy, setBusy] = useState(false);

  const submit = async (e: FormEvent) => {
    e.preventDefault();
    setBusy(true);
    setError('');
    try {
      const r = await client.login({ org_id: org.trim(), username: username.trim(), password });
      localStorage.setItem('orghub.org', org.trim());
      remember(r.user);
      onSignedIn(r.user);
    } catch (err) {
      setError(errorText(err));
    } finally {
      setBusy(false);
    }
  };

  return (
    <main className="signin">
      <form onSubmit={(e) => void submit(e)} aria-labelledby="signin-title">
        <h1 id="signin-title">Sign in to OrgHub</h1>
        <label>
          Organization
          <input
            name="org"
            value={org}
            onChange={(e) => setOrg(e.target.value)}
            required
            autoComplete="organization"
          />
        </label>
        <label>
          Username
          <input
            name="username"
            value={username}
            onChange={(e) => setUsername(e.target.value)}
            required
            autoComplete="username"
          />
        </label>
        <label>
          Password
          <input
            name="password"
            type="password"
            value={password}
            onChange={(e) => setPassword(e.target.value)}
            required
            autoComplete="current-password"
          />
        </label>
        {error && (
          <p role="alert" className="error">
            {error}
          </p>
        )}
        <button type="submit" disabled={busy}>
          {busy ? 'Signing in…' : 'Sign in'}
        </button>
      </form>
    </main>
  );
}
