import { ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';

import { TEST_REDIS_URL } from './test-env';

const MAIN = resolve(__dirname, '../../dist/src/main.js');

export interface ServerProcess {
  proc: ChildProcess;
  cwd: string;
  port: number;
  output(): string;
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null; ms: number }>;
  waitForOutput(pattern: RegExp, timeoutMs?: number): Promise<void>;
  stop(): Promise<void>;
}

// Below the kernel's ephemeral range (32768+), so no in-process test app on port 0 can hold it.
// OPENCLAW_TEST_PORT_BASE gives a second test run on the same machine (CI's other Node major) a range of its own.
let nextPort = Number(process.env.OPENCLAW_TEST_PORT_BASE ?? 30000) + (process.pid % 2500);

/** Ports something listens on now (Linux's /proc; elsewhere none are known): another run's servers. */
function listeningPorts(): Set<number> {
  const ports = new Set<number>();
  for (const table of ['/proc/net/tcp', '/proc/net/tcp6']) {
    let text = '';
    try {
      text = readFileSync(table, 'latin1');
    } catch {
      continue;
    }
    for (const line of text.split('\n').slice(1)) {
      const [, local, , state] = line.trim().split(/\s+/);
      if (state === '0A') ports.add(parseInt(local.slice(local.lastIndexOf(':') + 1), 16));
    }
  }
  return ports;
}

function takePort(): number {
  const taken = listeningPorts();
  while (taken.has(nextPort)) nextPort++;
  return nextPort++;
}

/**
 * The built server (`npm run build` → dist/) run as a user runs it, in a fresh working
 * directory, with a plain environment: only what the test passes, never the runner's own.
 */
export function spawnServer(env: Record<string, string>, cwd?: string): ServerProcess {
  const dir = cwd ?? mkdtempSync(join(tmpdir(), 'openclaw-proc-'));
  const port = takePort();
  const started = Date.now();
  const proc = spawn(process.execPath, [MAIN], {
    cwd: dir,
    env: {
      PATH: process.env.PATH ?? '/usr/bin:/bin',
      PORT: String(port),
      HOST: '127.0.0.1',
      REDIS_URL: TEST_REDIS_URL,
      ...env,
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  proc.stdout!.on('data', (d: Buffer) => (out += d.toString()));
  proc.stderr!.on('data', (d: Buffer) => (out += d.toString()));
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null; ms: number }>(
    (res) => proc.on('exit', (code, signal) => res({ code, signal, ms: Date.now() - started })),
  );
  return {
    proc,
    cwd: dir,
    port,
    output: () => out,
    exited,
    async waitForOutput(pattern, timeoutMs = 20000) {
      const deadline = Date.now() + timeoutMs;
      while (!pattern.test(out)) {
        if (proc.exitCode !== null) throw new Error(`server exited: ${out}`);
        if (Date.now() > deadline) throw new Error(`timed out waiting for ${pattern}: ${out}`);
        await new Promise((r) => setTimeout(r, 50));
      }
    },
    async stop() {
      if (proc.exitCode === null && proc.signalCode === null) proc.kill('SIGTERM');
      await exited;
    },
  };
}
