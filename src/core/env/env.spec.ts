import { readFileSync } from 'node:fs';
import { join } from 'node:path';

import { parse } from 'yaml';

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

  it("refuses the Kubernetes secret example's JWT_SECRET and other placeholders", () => {
    const example = parse(
      readFileSync(join(__dirname, '../../../deploy/kubernetes/base/secret.example.yaml'), 'utf8'),
    ) as { stringData: Record<string, string> };
    const placeholder = /^JWT_SECRET looks like a placeholder/;
    expect(problems({ NODE_ENV: 'production', ...example.stringData })).toEqual([
      expect.stringMatching(placeholder),
    ]);
    for (const value of [
      'please-change-me-to-something-long-enough',
      'CHANGEME_CHANGEME_CHANGEME_CHANGEME',
      'replace-me-replace-me-replace-me-replace-me',
      'this-is-an-example-jwt-secret-of-40-chars',
      'placeholder-placeholder-placeholder-xx',
      'x'.repeat(48),
    ]) {
      expect(problems({ JWT_SECRET: value })).toEqual([expect.stringMatching(placeholder)]);
    }
    expect(problems({ JWT_SECRET: 'k9Vq2pX7sLwT4mZr8bNc1yHd6fGj3aEu0oRi5' })).toEqual([]);
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

  it('reads SECRETS_KEY as 32-byte keys, hex or base64, newest first', () => {
    const hex = 'ab'.repeat(32);
    const b64 = Buffer.alloc(32, 7).toString('base64');
    expect(loadEnv({}, false).secretsKeys).toEqual([]);
    expect(loadEnv({ SECRETS_KEY: `${hex}, ${b64}` }, false).secretsKeys).toEqual([
      Buffer.alloc(32, 0xab),
      Buffer.alloc(32, 7),
    ]);
    for (const bad of ['short', `${hex}ab`, Buffer.alloc(16).toString('base64'), `${hex},`]) {
      const found = problems({ SECRETS_KEY: bad });
      expect(found).toEqual([expect.stringMatching(/^SECRETS_KEY must be a comma-separated list/)]);
      expect(found[0]).not.toContain(bad);
    }
  });

  it('reads TRUST_PROXY as a hop count or a list of proxy addresses, off by default', () => {
    expect(loadEnv({}, false).trustProxy).toBe(false);
    expect(loadEnv({ TRUST_PROXY: '0' }, false).trustProxy).toBe(false);
    expect(loadEnv({ TRUST_PROXY: '1' }, false).trustProxy).toBe(1);
    expect(loadEnv({ TRUST_PROXY: '10.0.0.0/8, loopback,::1' }, false).trustProxy).toEqual([
      '10.0.0.0/8',
      'loopback',
      '::1',
    ]);
    for (const bad of ['true', '10.0.0.0/33', 'proxy.internal', '1.2.3.4/8/1']) {
      expect(problems({ TRUST_PROXY: bad })).toEqual([expect.stringMatching(/^TRUST_PROXY/)]);
    }
  });
});
