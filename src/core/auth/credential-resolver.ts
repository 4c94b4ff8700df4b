import type { Principal } from './principal';

/**
 * Turns a bearer token that is not a JWT (an API key) into a principal, or throws the SPEC error.
 * Provided by the auth feature, so the guard in core/ needs no import of it.
 */
export interface CredentialResolver {
  authenticate(token: string): Promise<Principal>;
}

export const CREDENTIAL_RESOLVER = Symbol('CREDENTIAL_RESOLVER');
