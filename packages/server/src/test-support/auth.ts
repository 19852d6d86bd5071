import { randomUUID } from "node:crypto";
import type { Runtime } from "../bootstrap.js";
import type { Role } from "../identity/permissions.js";
import type { TokenResponse, UserView } from "../identity/service.js";

export const TEST_PASSWORD = "correct horse battery staple";

export interface SignedIn {
  user: UserView;
  tokens: TokenResponse;
  /** `{ authorization: "Bearer …" }`, to spread into `app.inject({ headers })` or `fetch`. */
  headers: { authorization: string };
}

/**
 * A new user with `roles` (password TEST_PASSWORD), signed in through the identity service: the token any test
 * needs to call a protected route as that role.
 */
export async function signIn(
  runtime: Runtime,
  roles: Role[],
  options: { email?: string; site?: string } = {},
): Promise<SignedIn> {
  const email = options.email ?? `${roles.join("+") || "nobody"}-${randomUUID().slice(0, 8)}@test.local`;
  const { user } = await runtime.identity.createUser({
    email,
    password: TEST_PASSWORD,
    roles,
    site: options.site,
  });
  const result = await runtime.identity.passwordGrant(email, TEST_PASSWORD);
  if (result.kind !== "tokens") throw new Error(`${email} has a second factor: sign in through /auth/token`);
  return { user, tokens: result.tokens, headers: { authorization: `Bearer ${result.tokens.access_token}` } };
}
