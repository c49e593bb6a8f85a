/** Dashboard users as the hub verifies them. */

export type AuthenticatedUser = { username: string; role: 'admin' | 'viewer' };

export interface UserVerifier {
  /** Resolves the user when the password matches, null otherwise. Never throws for bad input. */
  verify(username: string, password: string): Promise<AuthenticatedUser | null>;
}

/**
 * Optional side of a UserVerifier: a short value that changes whenever a user's password or
 * role changes, null once the user is gone (the dashboard ends such sessions).
 */
export type UserStamps = { credentialStamp(username: string): string | null };
