/** The roles a principal can hold; here so the guard and decorators need no users/ import. */
export type Role = 'admin' | 'user';
export const ROLES: readonly Role[] = ['admin', 'user'];
