import { EnvValidationError, loadEnv } from './env';

function problems(source: Record<string, string>): string[] {
  try {
    loadEnv(source, false);
  } catch (err) {
    if (err instanceof EnvValidationError) return err.problems;
    throw err;
  }
  return [];
}

describe(loadEnv.name, () => {
  it('applies the documented defaults', () => {
    const env = loadEnv({}, false);
    expect(env.PORT).toBe(3000);
    expect(env.ROLE).toBe('all');
    expect(env.database).toEqual({ type: 'sqlite', path: './data/openclaw.db' });
    expect(env.redis).toEqual({ url: 'redis://127.0.0.1:6379', host: '127.0.0.1', port: 6379 });
    expect(env.jwtExpiresInSeconds).toBe(3600);
    expect(env.bodyLimitBytes).toBe(1024 * 1024);
    expect(env.DB_MIGRATE).toBe(true);
  });

  it('derives PostgreSQL host and port without keeping the password apart', () => {
    const env = loadEnv({ DATABASE_URL: 'postgres://u:p@db.internal:6543/app' }, false);
    expect(env.database).toMatchObject({ type: 'postgres', host: 'db.internal', port: 6543 });
  });

  it('parses durations, sizes, booleans and lists', () => {
    const env = loadEnv(
      {
        JWT_EXPIRES_IN: '30m',
        BODY_LIMIT: '512kb',
        DB_MIGRATE: 'false',
        CORS_ORIGINS: 'https://a, https://b',
      },
      false,
    );
    expect(env.jwtExpiresInSeconds).toBe(1800);
    expect(env.bodyLimitBytes).toBe(512 * 1024);
    expect(env.DB_MIGRATE).toBe(false);
    expect(env.corsOrigins).toEqual(['https://a', 'https://b']);
  });

  it('treats empty values as unset', () => {
    expect(loadEnv({ PORT: '', JWT_SECRET: '  ' }, false).PORT).toBe(3000);
  });

  it('names each bad variable once', () => {
    const found = problems({
      PORT: 'abc',
      ROLE: 'boss',
      DATABASE_URL: 'mysql://x',
      DB_MIGRATE: 'maybe',
    });
    expect(found).toHaveLength(4);
    for (const name of ['PORT', 'ROLE', 'DATABASE_URL', 'DB_MIGRATE']) {
      expect(found.filter((p) => p.startsWith(name))).toHaveLength(1);
    }
  });

  it('says what a number must be, whatever is wrong with it', () => {
    for (const port of ['abc', '0', '70000', '1.5']) {
      expect(problems({ PORT: port })).toEqual(['PORT must be a whole number between 1 and 65535']);
    }
    expect(problems({ SKILL_TIMEOUT_MS: 'soon' })).toEqual([
      'SKILL_TIMEOUT_MS must be a whole number of at least 100',
    ]);
  });

  it('requires JWT_SECRET in production and a long one whenever it is set', () => {
    expect(problems({ NODE_ENV: 'production' })).toEqual([
      expect.stringMatching(/^JWT_SECRET is required/),
    ]);
    expect(problems({ JWT_SECRET: 'short' })).toEqual([
      expect.stringMatching(/^JWT_SECRET must be at least 32/),
    ]);
  });

  it('wants ADMIN_EMAIL and ADMIN_PASSWORD together', () => {
    expect(problems({ ADMIN_EMAIL: 'a@example.com' })).toEqual([
      'ADMIN_EMAIL and ADMIN_PASSWORD must be set together',
    ]);
  });

  it('never echoes a value in its messages', () => {
    const found = problems({ JWT_SECRET: 'topsecret', REDIS_URL: 'http://user:pw@x' });
    expect(found.join('\n')).not.toMatch(/topsecret|pw@x/);
  });
});
