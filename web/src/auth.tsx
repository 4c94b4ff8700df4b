import { useQueryClient } from '@tanstack/react-query';
import { createContext, type ReactNode, useCallback, useContext, useEffect, useState } from 'react';

import { get, getToken, post, setToken, setUnauthorizedHandler } from './api/client';
import type { LoginAnswer, User } from './api/types';

interface AuthState {
  user: User | null;
  /** True while a stored token is being checked at start-up. */
  checking: boolean;
  /** Why the last session ended, when it ended on its own (an expired or revoked token). */
  notice: string | null;
  signIn(email: string, password: string): Promise<void>;
  signOut(): void;
}

const AuthContext = createContext<AuthState | null>(null);

export function AuthProvider({ children }: { children: ReactNode }) {
  const queryClient = useQueryClient();
  const [user, setUser] = useState<User | null>(null);
  const [checking, setChecking] = useState(getToken() !== null);
  const [notice, setNotice] = useState<string | null>(null);

  const end = useCallback(
    (why: string | null) => {
      setToken(null);
      setUser(null);
      setNotice(why);
      queryClient.clear();
    },
    [queryClient],
  );

  useEffect(() => {
    setUnauthorizedHandler(() => end('Your session ended (signed out or expired): sign in again.'));
    return () => setUnauthorizedHandler(null);
  }, [end]);

  useEffect(() => {
    if (getToken() === null) return;
    get<User>('/users/me')
      .then(setUser)
      .catch(() => setToken(null))
      .finally(() => setChecking(false));
  }, []);

  const signIn = useCallback(async (email: string, password: string) => {
    const answer = await post<LoginAnswer>('/auth/login', { email, password });
    setToken(answer.access_token);
    try {
      const me = await get<User>('/users/me');
      setNotice(null);
      setUser(me);
    } catch (err) {
      setToken(null);
      throw err;
    }
  }, []);

  const signOut = useCallback(() => end(null), [end]);

  return (
    <AuthContext.Provider value={{ user, checking, notice, signIn, signOut }}>
      {children}
    </AuthContext.Provider>
  );
}

export function useAuth(): AuthState {
  const state = useContext(AuthContext);
  if (!state) throw new Error('useAuth outside AuthProvider');
  return state;
}

/** The signed-in user; only called under the routes that need one. */
export function useUser(): User {
  const { user } = useAuth();
  if (!user) throw new Error('no signed-in user');
  return user;
}
