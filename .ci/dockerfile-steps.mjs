#!/usr/bin/env node
// Runs the Dockerfile's own steps without Docker: the build stage's COPY and RUN lines in a scratch
// directory, the runtime stage's COPY --from=build into another, then the image's CMD with its ENV,
// its HEALTHCHECK command, and a SIGTERM that must end the process with exit code 0. The CMD runs under the
// image's ENTRYPOINT (tini as PID 1), so the signal takes the path it takes in a container.
// Only apt-get lines are skipped: they install the image's system packages, which CI already has.
import { execFileSync, spawn } from 'node:child_process';
import { cpSync, mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

// A Redis of its own: the test files take databases 0–15 of the shared one, and a server sharing a
// test's database takes that test's jobs (its skill runs then answered 202).
const redisUrl = process.env.REDIS_URL;
if (!redisUrl) throw new Error('REDIS_URL: a Redis that no test run uses (.ci/run starts one)');
const repo = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const scratch = mkdtempSync(join(tmpdir(), 'openclaw-image-'));
const log = (line) => process.stdout.write(`[image] ${line}\n`);
let server;
// CI stops this script when the run fails elsewhere: take the started server and scratch space along.
process.on('SIGTERM', () => {
  server?.kill('SIGKILL');
  rmSync(scratch, { recursive: true, force: true });
  process.exit(1);
});

/** Dockerfile instructions with continuation lines joined; comments and blank lines dropped. */
function instructions(text) {
  const joined = text.replace(/\\\n\s*/g, ' ');
  return joined
    .split('\n')
    .map((line) => line.trim())
    .filter((line) => line !== '' && !line.startsWith('#'))
    .map((line) => {
      const space = line.indexOf(' ');
      return { op: line.slice(0, space).toUpperCase(), args: line.slice(space + 1).trim() };
    });
}

/** Splits `A=1 B="two"` as ENV writes it. */
function parseEnv(args) {
  const env = {};
  for (const m of args.matchAll(/(\w+)=("([^"]*)"|\S*)/g)) env[m[1]] = m[3] ?? m[2];
  return env;
}

function parseStages(text) {
  const stages = [];
  for (const ins of instructions(text)) {
    if (ins.op === 'FROM') {
      const name = /\bAS\s+(\S+)/i.exec(ins.args)?.[1] ?? `stage${stages.length}`;
      stages.push({ name, steps: [] });
    } else if (stages.length > 0) {
      stages.at(-1).steps.push(ins);
    }
  }
  return stages;
}

function run(command, cwd, env = process.env) {
  log(`RUN ${command}`);
  execFileSync('bash', ['-euo', 'pipefail', '-c', command], { cwd, env, stdio: 'inherit' });
}

const dockerfile = readFileSync(join(repo, 'Dockerfile'), 'utf8');
// BuildKit reads the syntax directive only on the very first line.
if (!dockerfile.startsWith('# syntax='))
  throw new Error('the Dockerfile must start with # syntax=');
const stages = parseStages(dockerfile);
if (stages.length < 2) throw new Error('expected a multi-stage Dockerfile');
const roots = {};

// Every stage's /app (its WORKDIR) becomes a directory of its own in the scratch space.
function stageRoot(stage) {
  roots[stage.name] ??= join(scratch, stage.name);
  mkdirSync(roots[stage.name], { recursive: true });
  return roots[stage.name];
}
const inStage = (root, path) => join(root, path.replace(/^\/app\/?/, ''));

let image;
for (const stage of stages) {
  const root = stageRoot(stage);
  const env = {};
  let cmd;
  let entrypoint = [];
  let healthcheck;
  for (const { op, args } of stage.steps) {
    if (op === 'WORKDIR' && args !== '/app') throw new Error(`unexpected WORKDIR ${args}`);
    if (op === 'ENV') Object.assign(env, parseEnv(args));
    if (op === 'COPY') {
      const from = /--from=(\S+)/.exec(args)?.[1];
      const paths = args
        .split(/\s+/)
        .filter((a) => !a.startsWith('--'))
        .map((p) => p.replace(/\/$/, ''));
      const dest = paths.pop();
      const intoDir = dest === '.' || paths.length > 1;
      for (const src of paths) {
        const source = from ? inStage(roots[from], src) : join(repo, src);
        log(`COPY ${from ? `--from=${from} ` : ''}${src} ${dest}`);
        cpSync(source, intoDir ? join(inStage(root, dest), basename(src)) : inStage(root, dest), {
          recursive: true,
        });
      }
    }
    if (op === 'RUN') {
      for (const part of args.split('&&').map((p) => p.trim())) {
        if (/^(apt-get|rm -rf \/var\/lib\/apt)/.test(part)) continue;
        if (/^chown /.test(part)) continue; // no user switch outside a container
        run(part.replaceAll('/app', root), root);
      }
    }
    if (op === 'CMD') cmd = JSON.parse(args);
    if (op === 'ENTRYPOINT') entrypoint = JSON.parse(args);
    if (op === 'HEALTHCHECK') healthcheck = JSON.parse(args.slice(args.indexOf('CMD') + 3).trim());
  }
  image = { root, env, cmd: [...entrypoint, ...(cmd ?? [])], healthcheck };
}

// The runtime stage may only have what it copied: no dev dependencies, no sources.
const modules = join(image.root, 'node_modules');
for (const dev of ['jest', '@nestjs/cli', 'eslint', 'prettier']) {
  let present = true;
  try {
    readFileSync(join(modules, dev, 'package.json'));
  } catch {
    present = false;
  }
  if (present) throw new Error(`the image holds the dev dependency ${dev}`);
}

const port = String(39000 + (process.pid % 500));
const dataDir = join(image.root, 'data');
const env = {
  PATH: process.env.PATH,
  ...Object.fromEntries(
    Object.entries(image.env).map(([k, v]) => [k, v.replaceAll('/app', image.root)]),
  ),
  PORT: port,
  HOST: '127.0.0.1',
  DATA_DIR: dataDir,
  DATABASE_URL: `sqlite:${join(dataDir, 'openclaw.db')}`,
  REDIS_URL: redisUrl,
  JWT_SECRET: 'image-steps-jwt-secret-0123456789abcdef',
  ADMIN_EMAIL: 'admin@example.test',
  ADMIN_PASSWORD: 'image-steps-password',
};
log(`CMD ${image.cmd.join(' ')} (NODE_ENV=${env.NODE_ENV})`);
server = spawn(image.cmd[0], image.cmd.slice(1), {
  cwd: image.root,
  env,
  stdio: ['ignore', 'pipe', 'pipe'],
});
let output = '';
server.stdout.on('data', (d) => (output += d));
server.stderr.on('data', (d) => (output += d));
const exited = new Promise((res) => server.on('exit', (code, signal) => res({ code, signal })));

async function healthy() {
  const deadline = Date.now() + 30_000;
  for (;;) {
    try {
      execFileSync(image.healthcheck[0], image.healthcheck.slice(1), {
        env: { ...env },
        stdio: 'ignore',
      });
      return;
    } catch {
      if (server.exitCode !== null) throw new Error(`the server exited:\n${output}`);
      if (Date.now() > deadline) throw new Error(`HEALTHCHECK never passed:\n${output}`);
      await new Promise((r) => setTimeout(r, 250));
    }
  }
}

try {
  await healthy();
  log('HEALTHCHECK passed');
  const ready = await fetch(`http://127.0.0.1:${port}/health/ready`);
  if (ready.status !== 200) throw new Error(`/health/ready answered ${ready.status}`);
  const login = await fetch(`http://127.0.0.1:${port}/api/v1/auth/login`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ email: env.ADMIN_EMAIL, password: env.ADMIN_PASSWORD }),
  });
  if (login.status !== 200) throw new Error(`login answered ${login.status}`);
  log('login as the first admin works');
  // The image ships the admin console, built with the server.
  const adminPage = await fetch(`http://127.0.0.1:${port}/admin/`);
  const adminHtml = await adminPage.text();
  if (adminPage.status !== 200 || !adminHtml.includes('<div id="root">'))
    throw new Error(`/admin/ answered ${adminPage.status} without the console`);
  log('the admin console is served at /admin');
  server.kill('SIGTERM');
  const { code, signal } = await exited;
  if (code !== 0) throw new Error(`SIGTERM: exit ${code ?? signal}\n${output}`);
  log('SIGTERM: exit 0');
} finally {
  if (server.exitCode === null) server.kill('SIGKILL');
  rmSync(scratch, { recursive: true, force: true });
}
