import { startTestApp, TestApp } from '../support/test-app';

describe('smoke', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await startTestApp();
  });
  afterAll(() => t.close());

  it('logs the admin in and answers /users/me', async () => {
    const res = await t
      .http()
      .get('/api/v1/users/me')
      .set('Authorization', `Bearer ${t.adminToken}`);
    expect(res.status).toBe(200);
    expect(res.body.role).toBe('admin');
  });
});
