import 'reflect-metadata';

import { readdirSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';

import { parseAllDocuments } from 'yaml';

import { ENV_KEYS, EnvSchema } from '../../src/core/env/env.schema';
import { SHUTDOWN_CLEANUP_MS } from '../../src/core/shutdown/shutdown.service';

const DIR = resolve(__dirname, '../../deploy/kubernetes');

interface Doc {
  kind: string;
  metadata: { name: string };
  [key: string]: unknown;
}

// eslint-disable-next-line @typescript-eslint/no-explicit-any
type Any = any;

const docs: Doc[] = readdirSync(DIR)
  .filter((f) => f.endsWith('.yaml'))
  .flatMap((f) =>
    parseAllDocuments(readFileSync(join(DIR, f), 'utf8')).map((d) => {
      if (d.errors.length > 0) throw new Error(`${f}: ${d.errors[0].message}`);
      return d.toJSON() as Doc;
    }),
  );

const find = (kind: string, name: string): Any => {
  const doc = docs.find((d) => d.kind === kind && d.metadata.name === name);
  if (!doc) throw new Error(`no ${kind} ${name}`);
  return doc;
};

const containersOf = (doc: Any): Any[] => doc.spec.template.spec.containers;

describe('deploy/kubernetes', () => {
  it('parses every manifest and holds every kind the operators need', () => {
    const kinds = new Set(docs.map((d) => d.kind));
    for (const kind of [
      'Deployment',
      'Service',
      'ConfigMap',
      'Secret',
      'HorizontalPodAutoscaler',
      'PodDisruptionBudget',
      'Job',
    ]) {
      expect(kinds).toContain(kind);
    }
  });

  it.each(['openclaw-api', 'openclaw-worker'])(
    '%s: probes, resources and a non-root read-only container',
    (name) => {
      const deployment = find('Deployment', name);
      const pod = deployment.spec.template.spec;
      expect(pod.securityContext.runAsNonRoot).toBe(true);
      expect(pod.securityContext.runAsUser).toBeGreaterThan(0);
      for (const c of containersOf(deployment)) {
        expect(c.readinessProbe.httpGet.path).toBe('/health/ready');
        expect(c.livenessProbe.httpGet.path).toBe('/health/live');
        expect(c.resources.requests.cpu).toBeDefined();
        expect(c.resources.requests.memory).toBeDefined();
        expect(c.resources.limits.memory).toBeDefined();
        expect(c.securityContext.readOnlyRootFilesystem).toBe(true);
        expect(c.securityContext.allowPrivilegeEscalation).toBe(false);
        // A read-only root still needs a writable /tmp for skill runs and the admin password file.
        expect(c.volumeMounts.map((m: Any) => m.mountPath)).toContain('/tmp');
      }
    },
  );

  it('runs the API and the worker roles from one image', () => {
    const api = containersOf(find('Deployment', 'openclaw-api'))[0];
    const worker = containersOf(find('Deployment', 'openclaw-worker'))[0];
    expect(api.image).toBe(worker.image);
    expect(api.env.find((e: Any) => e.name === 'ROLE').value).toBe('api');
    expect(worker.env.find((e: Any) => e.name === 'ROLE').value).toBe('worker');
    expect(find('Job', 'openclaw-migrate').spec.template.spec.containers[0].image).toBe(api.image);
  });

  it('sets only variables the server reads, and takes secrets from the Secret', () => {
    const config = find('ConfigMap', 'openclaw-config');
    const secret = find('Secret', 'openclaw-secrets');
    const names = [...Object.keys(config.data), ...Object.keys(secret.stringData)];
    for (const name of names) expect(ENV_KEYS).toContain(name);
    for (const name of ['DATABASE_URL', 'REDIS_URL', 'JWT_SECRET']) {
      expect(Object.keys(secret.stringData)).toContain(name);
      expect(Object.keys(config.data)).not.toContain(name);
    }
    expect(config.data.NODE_ENV).toBe('production');
    for (const name of ['openclaw-api', 'openclaw-worker']) {
      const from = containersOf(find('Deployment', name))[0].envFrom;
      expect(from).toEqual(
        expect.arrayContaining([
          { configMapRef: { name: 'openclaw-config' } },
          { secretRef: { name: 'openclaw-secrets' } },
        ]),
      );
    }
  });

  it('gives each pod a grace period above its shutdown deadline and cleanup (SPEC §11)', () => {
    const config = find('ConfigMap', 'openclaw-config');
    for (const name of ['openclaw-api', 'openclaw-worker']) {
      const spec = find('Deployment', name).spec.template.spec;
      const own = spec.containers[0].env?.find((e: Any) => e.name === 'SHUTDOWN_TIMEOUT_MS');
      const deadlineMs = Number(
        own?.value ?? config.data.SHUTDOWN_TIMEOUT_MS ?? new EnvSchema().SHUTDOWN_TIMEOUT_MS,
      );
      expect(deadlineMs).toBeGreaterThanOrEqual(30000);
      expect(spec.terminationGracePeriodSeconds * 1000).toBeGreaterThan(
        deadlineMs + SHUTDOWN_CLEANUP_MS,
      );
    }
  });

  it('routes the Service to the API pods and scales the API', () => {
    const service = find('Service', 'openclaw-api');
    const api = find('Deployment', 'openclaw-api');
    expect(service.spec.selector).toEqual(api.spec.selector.matchLabels);
    expect(find('HorizontalPodAutoscaler', 'openclaw-api').spec.scaleTargetRef.name).toBe(
      'openclaw-api',
    );
    expect(find('PodDisruptionBudget', 'openclaw-api').spec.selector.matchLabels).toEqual(
      api.spec.selector.matchLabels,
    );
  });

  it('migrates with the TypeORM CLI the image ships', () => {
    const job = find('Job', 'openclaw-migrate');
    expect(job.spec.template.spec.containers[0].command.join(' ')).toContain(
      'migration:run -d dist/ormconfig.js',
    );
  });
});
