import { randomUUID } from 'node:crypto';

import type { TestApp } from '../support/test-app';

export interface TestUser {
  id: string;
  email: string;
  password: string;
  token: string;
  role: 'admin' | 'user';
}

let counter = 0;

export function userAttrs(
  overrides: Partial<{ email: string; password: string; name: string }> = {},
) {
  counter += 1;
  return {
    email: `user${counter}-${randomUUID().slice(0, 8)}@example.test`,
    password: `password-${randomUUID()}`,
    name: `User ${counter}`,
    ...overrides,
  };
}

/** Creates a user through the API as the admin and logs them in. */
export async function createUser(t: TestApp, role: 'admin' | 'user' = 'user'): Promise<TestUser> {
  const attrs = userAttrs();
  const created = await t
    .http()
    .post('/api/v1/users')
    .set('Authorization', `Bearer ${t.adminToken}`)
    .send({ ...attrs, role });
  if (created.status !== 201)
    throw new Error(`createUser: ${created.status} ${JSON.stringify(created.body)}`);
  const login = await t
    .http()
    .post('/api/v1/auth/login')
    .send({ email: attrs.email, password: attrs.password });
  if (login.status !== 200) throw new Error(`login: ${login.status} ${JSON.stringify(login.body)}`);
  return {
    id: created.body.id,
    email: attrs.email,
    password: attrs.password,
    token: login.body.access_token,
    role,
  };
}

export async function createApiKey(t: TestApp, token: string, name = 'test key'): Promise<string> {
  const res = await t
    .http()
    .post('/api/v1/api-keys')
    .set('Authorization', `Bearer ${token}`)
    .send({ name });
  if (res.status !== 201)
    throw new Error(`createApiKey: ${res.status} ${JSON.stringify(res.body)}`);
  return res.body.key;
}

/** A fresh JWT: a role, e-mail or password change or a disable revokes the ones issued before. */
export async function loginAs(
  t: TestApp,
  user: Pick<TestUser, 'email' | 'password'>,
): Promise<string> {
  const login = await t
    .http()
    .post('/api/v1/auth/login')
    .send({ email: user.email, password: user.password });
  if (login.status !== 200) throw new Error(`login: ${login.status} ${JSON.stringify(login.body)}`);
  return login.body.access_token;
}
