import 'reflect-metadata';

import { spawnSync } from 'node:child_process';
import { copyFileSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';

import { parse } from 'yaml';

import { ENV_KEYS, EnvSchema } from '../../src/core/env/env.schema';
import {
  QUEUE_PREFIX,
  SKILL_RUNS_QUEUE,
  WEBHOOK_DELIVERIES_QUEUE,
} from '../../src/core/queue/queues';
import { SHUTDOWN_CLEANUP_MS } from '../../src/core/shutdown/shutdown.service';
import { DOCKER_COMPOSE, hasCapability } from '../support/capabilities';
import { kubectlKustomize, kustomize, Manifest, readManifests } from '../support/kustomize';

const ROOT = resolve(__dirname, '../..');
const K8S = join(ROOT, 'deploy/kubernetes');
const IMAGE = 'ghcr.io/openclaw/openclaw-server';
const OVERLAYS = ['dev', 'prod'] as const;

// eslint-disable-next-line @typescript-eslint/no-explicit-any
type Any = any;

const rendered: Record<string, Manifest[]> = {
  base: kustomize(join(K8S, 'base')),
  ...Object.fromEntries(OVERLAYS.map((o) => [o, kustomize(join(K8S, 'overlays', o))])),
};
const secretExample = readManifests(join(K8S, 'base/secret.example.yaml'))[0];

const finder =
  (docs: Manifest[]) =>
  (kind: string, name: string): Any => {
    const doc = docs.find((d) => d.kind === kind && d.metadata.name === name);
    if (!doc) throw new Error(`no ${kind} ${name}`);
    return doc;
  };
const containersOf = (doc: Any): Any[] => doc.spec.template.spec.containers;
const defaults = new EnvSchema();

/** The kubernetes-models class of a manifest: its JSON schema is the Kubernetes API's own. */
function modelOf(doc: Manifest): new (data: Any) => { validate(): void } {
  const [group, version] = doc.apiVersion.includes('/')
    ? doc.apiVersion.split('/')
    : ['', doc.apiVersion];
  const pkg =
    group === 'keda.sh'
      ? '@kubernetes-models/keda'
      : group === 'monitoring.coreos.com'
        ? '@kubernetes-models/prometheus-operator'
        : 'kubernetes-models';
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const mod = require(`${pkg}/${group ? `${group}/` : ''}${version}/${doc.kind}`);
  return mod[doc.kind];
}

describe('deploy/kubernetes (kustomize base, overlays dev and prod)', () => {
  it.each(Object.keys(rendered))(
    '%s: every manifest is valid against the Kubernetes API schemas',
    (name) => {
      const docs = rendered[name];
      expect(docs.length).toBeGreaterThan(8);
      for (const doc of [...docs, secretExample]) {
        const Model = modelOf(doc);
        expect(() => new Model(doc).validate()).not.toThrow();
      }
    },
  );

  it('the schema check catches a broken manifest', () => {
    const api = structuredClone(finder(rendered.prod)('Deployment', 'openclaw-api'));
    api.spec.template.spec.containers[0].ports[0].containerPort = 'http';
    expect(() => new (modelOf(api))(api).validate()).toThrow(/containerPort/);
  });

  const kubectl = kubectlKustomize(join(K8S, 'overlays/prod')) !== null;
  (kubectl ? it.each(['base', 'overlays/dev', 'overlays/prod']) : it.skip.each(['-']))(
    '%s: renders as kustomize itself renders it (kubectl kustomize)',
    (dir) => {
      const key = (d: Manifest) => `${d.kind}/${d.metadata.name}`;
      const sort = (docs: Manifest[]) => [...docs].sort((a, b) => key(a).localeCompare(key(b)));
      const ours = dir === 'base' ? rendered.base : rendered[dir.split('/')[1]];
      expect(sort(ours)).toEqual(sort(kubectlKustomize(join(K8S, dir))!));
    },
  );

  describe.each(OVERLAYS)('overlay %s', (overlay) => {
    const docs = rendered[overlay];
    const find = finder(docs);

    it('pins the image tag through kustomize images, one image for every role and the migrations', () => {
      const pods = docs.filter((d) => d.kind === 'Deployment').map((d) => d.spec.template.spec);
      const images = pods.flatMap((p: Any) =>
        [...p.initContainers, ...p.containers].map((c: Any) => c.image),
      );
      expect(new Set(images).size).toBe(1);
      expect(images[0]).toMatch(new RegExp(`^${IMAGE}(:\\d+\\.\\d+\\.\\d+|@sha256:[0-9a-f]{64})$`));
      const k = readManifests(join(K8S, 'overlays', overlay, 'kustomization.yaml'))[0];
      expect(k.images).toEqual([expect.objectContaining({ name: IMAGE })]);
    });

    it.each(['openclaw-api', 'openclaw-worker'])(
      '%s: probes, resources and a non-root read-only container, all capabilities dropped',
      (name) => {
        const deployment = find('Deployment', name);
        const pod = deployment.spec.template.spec;
        expect(pod.securityContext.runAsNonRoot).toBe(true);
        expect(pod.securityContext.runAsUser).toBeGreaterThan(0);
        expect(pod.securityContext.seccompProfile.type).toBe('RuntimeDefault');
        for (const c of [...pod.initContainers, ...pod.containers]) {
          expect(c.resources.requests.cpu).toBeDefined();
          expect(c.resources.requests.memory).toBeDefined();
          expect(c.resources.limits.memory).toBeDefined();
          expect(c.securityContext.readOnlyRootFilesystem).toBe(true);
          expect(c.securityContext.allowPrivilegeEscalation).toBe(false);
          expect(c.securityContext.capabilities.drop).toEqual(['ALL']);
          // A read-only root still needs a writable /tmp for skill runs and the admin password file.
          expect(c.volumeMounts.map((m: Any) => m.mountPath)).toContain('/tmp');
        }
        expect(pod.volumes).toContainEqual({ name: 'tmp', emptyDir: {} });
        for (const c of pod.containers) {
          expect(c.readinessProbe.httpGet.path).toBe('/health/ready');
          expect(c.livenessProbe.httpGet.path).toBe('/health/live');
        }
      },
    );

    it('the API keeps RuntimeDefault seccomp; the worker has what bubblewrap needs', () => {
      const api = containersOf(find('Deployment', 'openclaw-api'))[0];
      expect(api.securityContext.seccompProfile).toBeUndefined();
      const workerPod = find('Deployment', 'openclaw-worker').spec.template.spec;
      expect(workerPod.hostUsers).toBe(false);
      const worker = workerPod.containers[0];
      expect(worker.securityContext).toMatchObject({
        procMount: 'Unmasked',
        seccompProfile: { type: 'Unconfined' },
        appArmorProfile: { type: 'Unconfined' },
      });
      expect(worker.securityContext.capabilities.add).toBeUndefined();
      // Only the worker container: its migrations init container keeps the pod's RuntimeDefault.
      expect(workerPod.initContainers[0].securityContext.seccompProfile).toBeUndefined();
    });

    it('runs the API and the worker roles from one image', () => {
      const api = containersOf(find('Deployment', 'openclaw-api'))[0];
      const worker = containersOf(find('Deployment', 'openclaw-worker'))[0];
      expect(api.image).toBe(worker.image);
      expect(api.env.find((e: Any) => e.name === 'ROLE').value).toBe('api');
      expect(worker.env.find((e: Any) => e.name === 'ROLE').value).toBe('worker');
    });

    it('migrates once per release in an init container the API and worker pods wait for', () => {
      expect(find('ConfigMap', 'openclaw-config').data.DB_MIGRATE).toBe('false');
      for (const name of ['openclaw-api', 'openclaw-worker']) {
        const pod = find('Deployment', name).spec.template.spec;
        const [migrate] = pod.initContainers;
        expect(migrate.command).toEqual(['node', 'dist/src/core/database/migrate-cli.js']);
        expect(migrate.image).toBe(pod.containers[0].image);
        expect(migrate.envFrom).toEqual(pod.containers[0].envFrom);
      }
      expect(docs.some((d) => d.kind === 'Job')).toBe(false);
    });

    it('sets only variables the server reads, and takes secrets from the Secret', () => {
      const config = find('ConfigMap', 'openclaw-config');
      const names = [...Object.keys(config.data), ...Object.keys(secretExample.stringData)];
      for (const name of names) expect(ENV_KEYS).toContain(name);
      for (const name of ['DATABASE_URL', 'REDIS_URL', 'JWT_SECRET', 'METRICS_TOKEN']) {
        expect(Object.keys(secretExample.stringData)).toContain(name);
        expect(Object.keys(config.data)).not.toContain(name);
      }
      expect(config.data.NODE_ENV).toBe('production');
      // One proxy hop, the ingress controller: login limiting then sees the client's address.
      expect(config.data.TRUST_PROXY).toBe('1');
      for (const name of ['openclaw-api', 'openclaw-worker']) {
        expect(containersOf(find('Deployment', name))[0].envFrom).toEqual(
          expect.arrayContaining([
            { configMapRef: { name: 'openclaw-config' } },
            { secretRef: { name: 'openclaw-secrets' } },
          ]),
        );
      }
    });

    it('gives each pod a grace period above its shutdown deadline and cleanup (45 s API, 75 s worker)', () => {
      const config = find('ConfigMap', 'openclaw-config');
      for (const [name, grace] of [
        ['openclaw-api', 45],
        ['openclaw-worker', 75],
      ] as const) {
        const spec = find('Deployment', name).spec.template.spec;
        const own = spec.containers[0].env?.find((e: Any) => e.name === 'SHUTDOWN_TIMEOUT_MS');
        const deadlineMs = Number(
          own?.value ?? config.data.SHUTDOWN_TIMEOUT_MS ?? defaults.SHUTDOWN_TIMEOUT_MS,
        );
        expect(deadlineMs).toBeGreaterThanOrEqual(30000);
        expect(spec.terminationGracePeriodSeconds).toBe(grace);
        expect(grace * 1000).toBeGreaterThan(deadlineMs + SHUTDOWN_CLEANUP_MS);
      }
    });

    it('routes the Service to the API pods, with PDBs for both roles and an HPA on the API', () => {
      const service = find('Service', 'openclaw-api');
      const api = find('Deployment', 'openclaw-api');
      expect(service.spec.selector).toEqual(api.spec.selector.matchLabels);
      expect(find('HorizontalPodAutoscaler', 'openclaw-api').spec.scaleTargetRef.name).toBe(
        'openclaw-api',
      );
      for (const name of ['openclaw-api', 'openclaw-worker'])
        expect(find('PodDisruptionBudget', name).spec.selector.matchLabels).toEqual(
          find('Deployment', name).spec.selector.matchLabels,
        );
    });

    it('an Ingress fit for streaming: no buffering, a read timeout above the longest upstream wait', () => {
      const ingress = find('Ingress', 'openclaw-api');
      const a = ingress.metadata.annotations;
      expect(a['nginx.ingress.kubernetes.io/proxy-buffering']).toBe('off');
      const config = find('ConfigMap', 'openclaw-config').data;
      const upstreamMs =
        Number(config.UPSTREAM_TIMEOUT_MS ?? defaults.UPSTREAM_TIMEOUT_MS) *
        (Number(config.UPSTREAM_MAX_RETRIES ?? defaults.UPSTREAM_MAX_RETRIES) + 1);
      for (const key of ['proxy-read-timeout', 'proxy-send-timeout'])
        expect(Number(a[`nginx.ingress.kubernetes.io/${key}`]) * 1000).toBeGreaterThanOrEqual(
          upstreamMs,
        );
      const backend = ingress.spec.rules[0].http.paths[0].backend.service;
      expect(backend).toEqual({ name: 'openclaw-api', port: { name: 'http' } });
    });

    it('NetworkPolicy: the API reachable only from the ingress controller and Prometheus, the worker from nothing', () => {
      const api = find('NetworkPolicy', 'openclaw-api');
      expect(api.spec.podSelector.matchLabels).toEqual(
        find('Deployment', 'openclaw-api').spec.selector.matchLabels,
      );
      expect(api.spec.policyTypes).toEqual(['Ingress']);
      const sources = api.spec.ingress.flatMap((r: Any) => r.from);
      expect(sources.map((s: Any) => s.podSelector.matchLabels['app.kubernetes.io/name'])).toEqual([
        'ingress-nginx',
        'prometheus',
      ]);
      const worker = find('NetworkPolicy', 'openclaw-worker');
      expect(worker.spec.podSelector.matchLabels).toEqual(
        find('Deployment', 'openclaw-worker').spec.selector.matchLabels,
      );
      expect(worker.spec.policyTypes).toEqual(['Ingress']);
      expect(worker.spec.ingress).toEqual([]);
    });
  });

  it('prod: a ServiceMonitor scraping /metrics with METRICS_TOKEN from the Secret', () => {
    const monitor = finder(rendered.prod)('ServiceMonitor', 'openclaw-api');
    // It selects Services by their labels: exactly the API's.
    const selected = rendered.prod.filter(
      (d) =>
        d.kind === 'Service' &&
        Object.entries(monitor.spec.selector.matchLabels).every(
          ([k, v]) => d.metadata.labels?.[k] === v,
        ),
    );
    expect(selected.map((d) => d.metadata.name)).toEqual(['openclaw-api']);
    expect(monitor.spec.endpoints[0]).toMatchObject({
      port: 'http',
      path: '/metrics',
      bearerTokenSecret: { name: 'openclaw-secrets', key: 'METRICS_TOKEN' },
    });
  });

  it('prod scales workers on the BullMQ wait lists with KEDA instead of the CPU HPA; dev keeps the HPA', () => {
    const prod = rendered.prod;
    const scaled = finder(prod)('ScaledObject', 'openclaw-worker');
    expect(scaled.spec.scaleTargetRef.name).toBe('openclaw-worker');
    const lists = scaled.spec.triggers
      .filter((t: Any) => t.type === 'redis')
      .map((t: Any) => t.metadata.listName);
    expect(lists).toEqual([
      `${QUEUE_PREFIX}:${SKILL_RUNS_QUEUE}:wait`,
      `${QUEUE_PREFIX}:${WEBHOOK_DELIVERIES_QUEUE}:wait`,
    ]);
    expect(
      prod.some(
        (d) => d.kind === 'HorizontalPodAutoscaler' && d.metadata.name === 'openclaw-worker',
      ),
    ).toBe(false);
    const dev = rendered.dev;
    expect(finder(dev)('HorizontalPodAutoscaler', 'openclaw-worker').spec.scaleTargetRef.name).toBe(
      'openclaw-worker',
    );
    expect(dev.some((d) => d.kind === 'ScaledObject')).toBe(false);
  });
});

describe('docker-compose.yml', () => {
  const haveCompose = hasCapability(DOCKER_COMPOSE);
  const run = (env: Record<string, string>) =>
    spawnSync(
      'docker-compose',
      ['--project-directory', ROOT, '-f', 'docker-compose.yml', 'config'],
      {
        cwd: ROOT,
        encoding: 'utf8',
        env: { PATH: process.env.PATH, ...env },
      },
    );
  const test = haveCompose ? it : it.skip;

  test('refuses to start without the secrets from .env', () => {
    const r = run({ JWT_SECRET: 'x'.repeat(40) });
    expect(r.status).not.toBe(0);
    expect(r.stderr).toMatch(/set POSTGRES_PASSWORD in \.env/);
  });

  test('validates: PostgreSQL, persistent Redis, API and worker from one image, healthy before use', () => {
    const r = run({ POSTGRES_PASSWORD: 'pg-secret', JWT_SECRET: 'j'.repeat(40) });
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
    const { services, volumes } = parse(r.stdout) as Any;
    expect(Object.keys(services).sort()).toEqual(['api', 'postgres', 'redis', 'worker']);
    expect(Object.keys(volumes).sort()).toEqual(['postgres-data', 'redis-data']);

    expect(services.redis.command.join(' ')).toMatch(/--appendonly yes/);
    expect(services.redis.command.join(' ')).toMatch(/--maxmemory-policy noeviction/);
    expect(services.redis.volumes[0]).toMatch(/^redis-data:\/data/);
    expect(services.postgres.volumes[0]).toMatch(/^postgres-data:\/var\/lib\/postgresql\/data/);

    const { api, worker } = services;
    expect(api.image).toBe(worker.image);
    expect(api.build.context).toBe(ROOT);
    expect(api.environment).toMatchObject({
      ROLE: 'api',
      NODE_ENV: 'production',
      DB_MIGRATE: 'true',
      JWT_SECRET: 'j'.repeat(40),
      DATABASE_URL: 'postgres://openclaw:pg-secret@postgres:5432/openclaw',
      REDIS_URL: 'redis://redis:6379',
    });
    expect(worker.environment).toMatchObject({ ROLE: 'worker', DB_MIGRATE: 'false' });
    for (const env of [api.environment, worker.environment])
      for (const name of Object.keys(env)) expect(ENV_KEYS).toContain(name);

    for (const name of ['postgres', 'redis', 'api', 'worker'])
      expect(services[name].healthcheck.test[0]).toBe('CMD');
    expect(api.depends_on).toEqual({
      postgres: { condition: 'service_healthy' },
      redis: { condition: 'service_healthy' },
    });
    expect(worker.depends_on).toEqual({
      api: { condition: 'service_healthy' },
      redis: { condition: 'service_healthy' },
    });
    // The sandbox's namespaces and fresh /proc, without added capabilities.
    expect(worker.security_opt).toEqual([
      'seccomp=unconfined',
      'apparmor=unconfined',
      'systempaths=unconfined',
    ]);
    expect(worker.cap_add).toBeUndefined();
    expect(worker.environment.SKILL_SANDBOX).toBeUndefined();
    expect(api.stop_grace_period).toBe('45s');
    expect(worker.stop_grace_period).toBe('75s');
  });
});

describe('Dockerfile', () => {
  const text = readFileSync(join(ROOT, 'Dockerfile'), 'utf8');

  it('starts with the syntax directive, runs tini as PID 1 and ships bubblewrap', () => {
    expect(text.split('\n')[0]).toMatch(/^# syntax=docker\/dockerfile:1/);
    expect(text).toMatch(/^ENTRYPOINT \["\/usr\/bin\/tini", "--"\]$/m);
    const runtime = text.slice(text.lastIndexOf('FROM '));
    expect(runtime).toMatch(/apt-get install -y --no-install-recommends bubblewrap tini/);
    expect(runtime).toMatch(/^USER node$/m);
    expect(runtime).toMatch(/^HEALTHCHECK /m);
  });

  it('starts the server through bin/start, as npm start does', () => {
    expect(text).toMatch(/^CMD \["\/bin\/sh", "bin\/start"\]$/m);
    expect(text).toMatch(/^COPY --chown=node:node bin \.\/bin$/m);
    const { scripts } = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as {
      scripts: Record<string, string>;
    };
    expect(scripts.start).toBe('sh bin/start');
    expect(scripts['start:prod']).toBe('sh bin/start');
  });
});

describe('bin/start', () => {
  // bin/start runs ../dist/src/main.js beside it: here a stand-in that reports what it was given.
  const dir = mkdtempSync(join(tmpdir(), 'openclaw-start-'));
  mkdirSync(join(dir, 'bin'));
  mkdirSync(join(dir, 'dist/src'), { recursive: true });
  copyFileSync(join(ROOT, 'bin/start'), join(dir, 'bin/start'));
  writeFileSync(
    join(dir, 'dist/src/main.js'),
    `process.stdout.write(JSON.stringify({ argv: process.execArgv, pid: process.pid,
      limitMiB: require('v8').getHeapStatistics().heap_size_limit / 2 ** 20,
      malloc: process.env.MALLOC_MMAP_THRESHOLD_ }))`,
  );
  afterAll(() => rmSync(dir, { recursive: true, force: true }));
  const start = (args: string[], env: Record<string, string> = {}) => {
    const out = spawnSync('sh', [join(dir, 'bin/start'), ...args], {
      encoding: 'utf8',
      env: { PATH: process.env.PATH, ...env },
    });
    expect(out.stderr).toBe('');
    expect(out.status).toBe(0);
    const run = JSON.parse(out.stdout) as {
      argv: string[];
      pid: number;
      limitMiB: number;
      malloc?: string;
    };
    // The shell gives way to node (exec): a stop signal reaches the server itself.
    expect(run.pid).toBe(out.pid);
    return run;
  };
  // What Node itself allows the heap on this machine (no flags): the script decides from this.
  const own = spawnSync(process.execPath, [
    '-p',
    "require('v8').getHeapStatistics().heap_size_limit / 2 ** 20",
  ]);
  const ownMiB = Number(own.stdout.toString());

  it("keeps the young generation at 16 MiB a semi-space and holds the old generation's growth where Node would allow it 2 GiB", () => {
    const run = start([]);
    expect(run.argv[0]).toBe('--max-semi-space-size=16');
    if (ownMiB >= 2048) {
      // V8 grows the heap to 4 × the live data from a 2 GiB cap on, about 2 × below it.
      expect(run.argv).toEqual(['--max-semi-space-size=16', '--max-old-space-size=2047']);
      expect(run.limitMiB).toBeLessThan(2048 + 64);
    } else {
      // A memory limit under 4 GiB: Node's own cap stays.
      expect(run.argv).toEqual(['--max-semi-space-size=16']);
      expect(run.limitMiB).toBeCloseTo(ownMiB, 0);
    }
    // glibc gives a password hash's 19 MiB back.
    expect(run.malloc).toBe('131072');
  });

  it("leaves a cap in NODE_OPTIONS, an operator's malloc setting and its own flags to the caller", () => {
    const run = start(['--max-old-space-size=100'], {
      NODE_OPTIONS: '--max-old-space-size=300',
      MALLOC_MMAP_THRESHOLD_: '65536',
    });
    expect(run.argv).toEqual(['--max-semi-space-size=16', '--max-old-space-size=100']);
    expect(run.limitMiB).toBeLessThan(200);
    expect(run.malloc).toBe('65536');
    const capped = start([], { NODE_OPTIONS: '--max-old-space-size=300' });
    expect(capped.argv).toEqual(['--max-semi-space-size=16']);
    expect(capped.limitMiB).toBeGreaterThan(300);
    expect(capped.limitMiB).toBeLessThan(400);
  });
});

describe('Dockerfile, its Node major', () => {
  const text = readFileSync(join(ROOT, 'Dockerfile'), 'utf8');

  it('names the Node major once, in an ARG that both stages and CI read', () => {
    const major = /^ARG NODE_MAJOR=(\d+)$/m.exec(text)?.[1];
    expect(Number(major)).toBeGreaterThanOrEqual(22);
    const froms = text.match(/^FROM .*$/gm)!;
    expect(froms).toEqual([
      'FROM node:${NODE_MAJOR}-bookworm-slim AS build',
      'FROM node:${NODE_MAJOR}-bookworm-slim AS runtime',
    ]);
    expect(readFileSync(join(ROOT, '.ci/run'), 'utf8')).toMatch(/ARG NODE_MAJOR=/);
  });
});
