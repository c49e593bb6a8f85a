/** Dashboard users as the hub verifies them. */

/**
 * `sites`: the sites whose nodes the user may see; null = every site (admins always, and a
 * viewer given no sites). A scoped viewer gets 404 for other sites' nodes, as for unknown ones.
 */
export type AuthenticatedUser = { username: string; role: 'admin' | 'viewer'; sites: string[] | null };

export interface UserVerifier {
  /** Resolves the user when the password matches, null otherwise. Never throws for bad input. */
  verify(username: string, password: string): Promise<AuthenticatedUser | null>;
}

/**
 * Optional side of a UserVerifier: a short value that changes whenever a user's password or
 * role or sites change, null once the user is gone (the dashboard ends such sessions).
 */
export type UserStamps = { credentialStamp(username: string): Promise<string | null> };
