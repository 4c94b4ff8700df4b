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

  it('answers JSON with its charset and byte length; a HEAD of it has the headers and no body', async () => {
    const auth = `Bearer ${t.adminToken}`;
    const name = 'Café ✓ 会话';
    for (let i = 0; i < 12; i++) {
      const created = await t
        .http()
        .post('/api/v1/sessions')
        .set('Authorization', auth)
        .send({ name });
      expect(created.status).toBe(201);
      expect(Number(created.headers['content-length'])).toBe(Buffer.byteLength(created.text));
    }
    // Past 1,000 characters, where Express would have copied the answer into a Buffer first.
    const list = await t.http().get('/api/v1/sessions').set('Authorization', auth);
    expect(list.status).toBe(200);
    expect(list.text.length).toBeGreaterThan(1000);
    expect(list.headers['content-type']).toBe('application/json; charset=utf-8');
    expect(Number(list.headers['content-length'])).toBe(Buffer.byteLength(list.text));
    expect(list.body.data.map((s: { name: string }) => s.name)).toEqual(Array(12).fill(name));
    const head = await t.http().head('/api/v1/sessions').set('Authorization', auth);
    expect(head.status).toBe(200);
    expect(head.headers['content-type']).toBe('application/json; charset=utf-8');
    expect(head.headers['content-length']).toBe(list.headers['content-length']);
    expect(head.text ?? '').toBe('');
  });
});
