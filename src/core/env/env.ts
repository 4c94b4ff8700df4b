import 'reflect-metadata';

import { isIP } from 'node:net';

import { plainToInstance } from 'class-transformer';
import { validateSync, ValidationError } from 'class-validator';
import { config as loadDotenv } from 'dotenv';

import { ENV_KEYS, EnvSchema } from './env.schema';

export type DatabaseTarget =
  { type: 'sqlite'; path: string } | { type: 'postgres'; url: string; host: string; port: number };

/** The validated environment plus values derived from it once. */
export interface Env extends Readonly<
  Omit<EnvSchema, 'DB_MIGRATE' | 'ECHO_MODEL' | 'WEBHOOK_ALLOW_PRIVATE_URLS'>
> {
  readonly DB_MIGRATE: boolean;
  readonly ECHO_MODEL: boolean;
  readonly WEBHOOK_ALLOW_PRIVATE_URLS: boolean;
  /** SECRETS_KEY decoded: 32-byte AES keys, newest first; empty when unset. */
  readonly secretsKeys: Buffer[];
  /** Delays before each webhook retry, in ms. */
  readonly webhookRetryDelaysMs: number[];
  /** The whole environment, for variables a providers file names for its keys. */
  readonly variables: Readonly<Record<string, string>>;
  readonly database: DatabaseTarget;
  readonly redis: { url: string; host: string; port: number };
  readonly jwtExpiresInSeconds: number;
  readonly bodyLimitBytes: number;
  readonly corsOrigins: string[];
  readonly isProduction: boolean;
  /** For Express's `trust proxy`: a hop count, a list of addresses/CIDRs, or false (off). */
  readonly trustProxy: number | string[] | false;
}

export class EnvValidationError extends Error {
  constructor(readonly problems: string[]) {
    super(problems.join('\n'));
  }
}

const UNIT_SECONDS: Record<string, number> = { s: 1, m: 60, h: 3600, d: 86400 };
const UNIT_BYTES: Record<string, number> = { b: 1, kb: 1024, mb: 1024 * 1024 };

function parseDuration(value: string): number {
  const m = /^(\d+)([smhd]?)$/.exec(value)!;
  return Number(m[1]) * UNIT_SECONDS[m[2] || 's'];
}

function parseDelayMs(value: string): number {
  const m = /^(\d+)(ms|s|m|h|d)?$/.exec(value)!;
  return m[2] === 'ms' ? Number(m[1]) : Number(m[1]) * 1000 * UNIT_SECONDS[m[2] || 's'];
}

function parseSize(value: string): number {
  const m = /^(\d+)(b|kb|mb)?$/i.exec(value)!;
  return Number(m[1]) * UNIT_BYTES[(m[2] || 'b').toLowerCase()];
}

const SECRETS_KEY_FORMAT =
  'SECRETS_KEY must be a comma-separated list (newest first) of 32-byte keys, each 64 hex characters or 44 base64 characters (openssl rand -base64 32)';

/** Each key as 64 hex characters or the base64 of 32 bytes; null when any is neither. */
function parseSecretsKeys(raw: string | undefined): Buffer[] | null {
  if (!raw) return [];
  const keys: Buffer[] = [];
  for (const part of raw.split(',').map((k) => k.trim())) {
    if (/^[0-9a-f]{64}$/i.test(part)) keys.push(Buffer.from(part, 'hex'));
    else if (/^[A-Za-z0-9+/]{43}=$/.test(part)) keys.push(Buffer.from(part, 'base64'));
    else return null;
  }
  return keys;
}

const PROXY_NAMES = ['loopback', 'linklocal', 'uniquelocal'];

function isProxyAddress(entry: string): boolean {
  if (PROXY_NAMES.includes(entry)) return true;
  const [address, bits, ...rest] = entry.split('/');
  const family = isIP(address);
  if (family === 0 || rest.length > 0) return false;
  if (bits === undefined) return true;
  return /^\d{1,3}$/.test(bits) && Number(bits) <= (family === 4 ? 32 : 128);
}

/** TRUST_PROXY: a hop count (0 is off) or a comma list of addresses, CIDRs and Express's names. */
function parseTrustProxy(raw: string | undefined): number | string[] | false | null {
  if (raw === undefined) return false;
  if (/^\d+$/.test(raw)) return Number(raw) === 0 ? false : Number(raw);
  const entries = raw.split(',').map((e) => e.trim());
  return entries.every(isProxyAddress) ? entries : null;
}

function flatten(errors: ValidationError[]): string[] {
  // One line per variable: its first failed rule is enough to fix it.
  return errors.map((e) => {
    const message = Object.values(e.constraints ?? {})[0] ?? 'is invalid';
    return message.startsWith(e.property) ? message : `${e.property}: ${message}`;
  });
}

/** Variables the operator names elsewhere (a providers file's key variables), read once here. */
function variables(source: NodeJS.ProcessEnv): Record<string, string> {
  const vars: Record<string, string> = {};
  for (const [name, value] of Object.entries(source)) {
    if (value !== undefined && value.trim() !== '') vars[name] = value.trim();
  }
  return Object.freeze(vars);
}

/** Words that mark a value copied from an example instead of generated (a shared, public secret). */
const PLACEHOLDER_WORDS =
  /change[-_ ]?me|replace[-_ ]?(me|with)|example|placeholder|your[-_ ]?secret|random[-_ ]?characters/i;

function isPlaceholderSecret(value: string): boolean {
  return PLACEHOLDER_WORDS.test(value) || /^(.)\1*$/s.test(value);
}

function parseHostPort(raw: string, defaultPort: number): { host: string; port: number } {
  const url = new URL(raw);
  return { host: url.hostname || '127.0.0.1', port: url.port ? Number(url.port) : defaultPort };
}

function deriveDatabase(url: string): DatabaseTarget {
  if (url.startsWith('sqlite:')) return { type: 'sqlite', path: url.slice('sqlite:'.length) };
  return { type: 'postgres', url, ...parseHostPort(url, 5432) };
}

/**
 * Reads the environment once (a .env file fills in what is not set) and validates it.
 * Throws EnvValidationError with one line per bad variable.
 */
export function loadEnv(source: NodeJS.ProcessEnv = process.env, readDotenv = true): Env {
  if (readDotenv) loadDotenv({ quiet: true } as never);
  const raw: Record<string, string> = {};
  for (const key of ENV_KEYS) {
    const value = source[key];
    if (value !== undefined && value.trim() !== '') raw[key] = value.trim();
  }
  const schema = plainToInstance(EnvSchema, raw, { exposeDefaultValues: true });
  const problems = flatten(validateSync(schema));
  if (schema.NODE_ENV === 'production' && !schema.JWT_SECRET) {
    problems.push(
      'JWT_SECRET is required when NODE_ENV=production (at least 32 random characters)',
    );
  }
  if (schema.JWT_SECRET && isPlaceholderSecret(schema.JWT_SECRET)) {
    problems.push(
      'JWT_SECRET looks like a placeholder copied from an example; set it to a random value, e.g. $(openssl rand -base64 48)',
    );
  }
  if (Boolean(schema.ADMIN_EMAIL) !== Boolean(schema.ADMIN_PASSWORD)) {
    problems.push('ADMIN_EMAIL and ADMIN_PASSWORD must be set together');
  }
  const secretsKeys = parseSecretsKeys(schema.SECRETS_KEY);
  if (!secretsKeys) problems.push(SECRETS_KEY_FORMAT);
  const trustProxy = parseTrustProxy(schema.TRUST_PROXY);
  if (trustProxy === null) {
    problems.push(
      'TRUST_PROXY must be a hop count (e.g. 1) or a comma-separated list of proxy addresses or CIDRs (e.g. 10.0.0.0/8,loopback)',
    );
  }
  if (problems.length > 0) throw new EnvValidationError(problems);

  // Object.assign, not a spread: see spreadChecks() in eslint.config.mjs.
  return Object.freeze(
    Object.assign({}, schema, {
      DB_MIGRATE: schema.DB_MIGRATE,
      ECHO_MODEL: schema.ECHO_MODEL,
      WEBHOOK_ALLOW_PRIVATE_URLS: schema.WEBHOOK_ALLOW_PRIVATE_URLS,
      webhookRetryDelaysMs: schema.WEBHOOK_RETRY_SCHEDULE.split(',').map((d) =>
        parseDelayMs(d.trim()),
      ),
      secretsKeys: secretsKeys!,
      variables: variables(source),
      ADMIN_EMAIL: schema.ADMIN_EMAIL?.toLowerCase(),
      database: deriveDatabase(schema.DATABASE_URL),
      redis: { url: schema.REDIS_URL, ...parseHostPort(schema.REDIS_URL, 6379) },
      jwtExpiresInSeconds: parseDuration(schema.JWT_EXPIRES_IN),
      bodyLimitBytes: parseSize(schema.BODY_LIMIT),
      corsOrigins: (schema.CORS_ORIGINS ?? '')
        .split(',')
        .map((o) => o.trim())
        .filter(Boolean),
      isProduction: schema.NODE_ENV === 'production',
      trustProxy: trustProxy!,
    }),
  );
}
