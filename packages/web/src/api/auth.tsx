import { useQuery, useQueryClient } from "@tanstack/react-query";
import { createContext, type ReactNode, useContext, useEffect, useMemo, useState } from "react";
import { ApiError, api, session, type Tokens } from "./client";
import type { Me } from "./types";

/** Grant type of the second step of a sign-in with TOTP (routes/auth.ts MFA_OTP_GRANT). */
export const MFA_OTP_GRANT = "urn:ccam:params:oauth:grant-type:mfa-otp";

export type SignInResult = { kind: "signed_in" } | { kind: "mfa"; mfaToken: string };

export async function signIn(username: string, password: string): Promise<SignInResult> {
  try {
    const tokens = await api<Tokens>("/auth/token", {
      method: "POST",
      auth: false,
      form: { grant_type: "password", username, password },
    });
    session.set(tokens);
    return { kind: "signed_in" };
  } catch (error) {
    if (error instanceof ApiError && error.status === 403 && error.problem.error === "mfa_required") {
      return { kind: "mfa", mfaToken: String(error.problem.mfa_token) };
    }
    throw error;
  }
}

export async function answerMfa(mfaToken: string, otp: string): Promise<void> {
  const tokens = await api<Tokens>("/auth/token", {
    method: "POST",
    auth: false,
    form: { grant_type: MFA_OTP_GRANT, mfa_token: mfaToken, otp: otp.trim() },
  });
  session.set(tokens);
}

/** After an MFA enrolment or a password change the token's restrictions change: take a fresh one. */
export async function refreshNow(): Promise<void> {
  const current = session.get();
  if (!current) return;
  session.set(
    await api<Tokens>("/auth/refresh", {
      method: "POST",
      auth: false,
      json: { refresh_token: current.refresh_token },
    }),
  );
}

export async function signOut(): Promise<void> {
  const current = session.get();
  if (current) {
    await api("/auth/logout", { method: "POST", json: { refresh_token: current.refresh_token } }).catch(
      () => undefined,
    );
  }
  session.set(null);
}

interface AuthState {
  signedIn: boolean;
  me: Me | undefined;
  loading: boolean;
  can(permission: string): boolean;
}

const AuthContext = createContext<AuthState>({
  signedIn: false,
  me: undefined,
  loading: false,
  can: () => false,
});

export function AuthProvider({ children }: { children: ReactNode }) {
  const [signedIn, setSignedIn] = useState(() => session.get() !== null);
  const client = useQueryClient();
  useEffect(
    () =>
      session.subscribe((tokens) => {
        setSignedIn(tokens !== null);
        if (!tokens) client.clear();
      }),
    [client],
  );
  const token = signedIn ? session.get()?.access_token : undefined;
  const me = useQuery({
    queryKey: ["me", token?.slice(-16)],
    queryFn: () => api<Me>("/auth/me"),
    enabled: signedIn,
    staleTime: 60_000,
  });
  const value = useMemo<AuthState>(
    () => ({
      signedIn,
      me: signedIn ? me.data : undefined,
      loading: signedIn && me.isPending,
      can: (permission) => me.data?.permissions.includes(permission) ?? false,
    }),
    [signedIn, me.data, me.isPending],
  );
  return <AuthContext.Provider value={value}>{children}</AuthContext.Provider>;
}

export const useAuth = () => useContext(AuthContext);
