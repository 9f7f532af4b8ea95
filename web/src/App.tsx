import { useState } from 'react';
import type { User } from '@orghub/sdk';
import { currentUser } from './api.ts';
import { SignIn } from './SignIn.tsx';
import { Shell } from './Shell.tsx';

export function App() {
  const [user, setUser] = useState<User | null>(currentUser);
  if (!user) return <SignIn onSignedIn={setUser} />;
  // Keyed by user: signing in as someone else starts from a clean state and a new socket.
  return <Shell key={user.id} user={user} onSignedOut={() => setUser(null)} />;
}
