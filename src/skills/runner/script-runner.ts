import { spawn, spawnSync } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Readable } from 'node:stream';

import type { ParamValue } from '../dto/run-skill.dto';
import { RunProcesses } from './run-processes';

/** SKILL_SANDBOX as configured; `auto` is resolved to one of the others when the worker starts. */
export type SandboxSetting = 'auto' | 'none' | 'bwrap';
export type Sandbox = 'none' | 'bwrap';

export interface ScriptRun {
  runId: string;
  script: string;
  params: Record<string, ParamValue>;
  timeoutMs: number;
  maxOutputBytes: number;
  maxMemoryMb: number;
  sandbox: Sandbox;
  /** bubblewrap's path as the worker found it (the launcher's own PATH is a fixed one). */
  bwrapPath?: string;
}

export interface ScriptResult {
  status: 'succeeded' | 'failed' | 'timed_out';
  exitCode: number | null;
  stdout: string;
  stderr: string;
  outputTruncated: boolean;
  durationMs: number;
}

const SAFE_PATH = '/usr/local/bin:/usr/bin:/bin';
// Output still arriving from a killed process group is not worth waiting for longer than this.
const DRAIN_MS = 1000;

/** The child's whole environment: no variable of the server's own ever reaches a script. */
export function scriptEnv(
  runId: string,
  home: string,
  params: Record<string, ParamValue>,
): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {
    PATH: SAFE_PATH,
    HOME: home,
    LANG: 'C.UTF-8',
    OPENCLAW_RUN_ID: runId,
  };
  for (const [key, value] of Object.entries(params))
    env[`PARAM_${key.toUpperCase()}`] = String(value);
  return env;
}

/**
 * No network, a read-only system, a private /tmp, its own PID namespace. The run's directory is
 * made on that private /tmp, so it goes with the sandbox: no directory to make and remove on the
 * host per run, and one mount fewer.
 */
function bwrapArgs(dir: string): string[] {
  return [
    '--ro-bind',
    '/usr',
    '/usr',
    '--ro-bind-try',
    '/bin',
    '/bin',
    '--ro-bind-try',
    '/lib',
    '/lib',
    '--ro-bind-try',
    '/lib64',
    '/lib64',
    '--ro-bind-try',
    '/sbin',
    '/sbin',
    '--ro-bind-try',
    '/etc/alternatives',
    '/etc/alternatives',
    '--ro-bind-try',
    '/etc/ssl',
    '/etc/ssl',
    '--proc',
    '/proc',
    '--dev',
    '/dev',
    '--tmpfs',
    '/tmp',
    '--dir',
    dir,
    '--chdir',
    dir,
    '--unshare-all',
    '--die-with-parent',
    '--new-session',
  ];
}

/** The run's directory inside the sandbox, on its private /tmp (not the host's). */
function sandboxDir(runId: string): string {
  return `/tmp/openclaw-run-${runId}`;
}

/** bubblewrap's path when it can run here, or why it cannot. */
export function probeBwrap(): { path: string } | { problem: string } {
  const found = spawnSync('/bin/sh', ['-c', 'command -v bwrap'], { encoding: 'utf8' });
  const path = found.stdout?.trim();
  if (found.status !== 0 || !path) return { problem: 'bwrap is not installed' };
  const probe = spawnSync(path, [...bwrapArgs(sandboxDir('probe')), '/bin/true'], {
    encoding: 'utf8',
    timeout: 5000,
  });
  if (probe.error) return { problem: probe.error.message };
  if (probe.status !== 0)
    return { problem: (probe.stderr || `exit code ${probe.status}`).trim().split('\n')[0] };
  return { path };
}

/** The bytes as text: a character cut by the cap is dropped, NUL (which PostgreSQL cannot store) shown as U+FFFD. */
function toText(buf: Buffer, truncated: boolean): string {
  let end = buf.length;
  if (truncated) {
    // Step back over continuation bytes to the start of the last character, and drop it if incomplete.
    let start = end - 1;
    while (start > 0 && end - start < 4 && (buf[start] & 0xc0) === 0x80) start--;
    const lead = buf[start];
    const size = lead >= 0xf0 ? 4 : lead >= 0xe0 ? 3 : lead >= 0xc0 ? 2 : 1;
    if (start >= 0 && end - start < size) end = start;
  }
  return buf.subarray(0, end).toString('utf8').replaceAll('\u0000', '\uFFFD');
}

function collect(stream: Readable, cap: number) {
  const chunks: Buffer[] = [];
  let size = 0;
  let truncated = false;
  stream.on('data', (chunk: Buffer) => {
    if (size >= cap) {
      truncated = true;
      return;
    }
    const room = cap - size;
    if (chunk.length > room) truncated = true;
    chunks.push(chunk.length > room ? chunk.subarray(0, room) : chunk);
    size += Math.min(chunk.length, room);
  });
  const ended = new Promise<void>((resolve) => {
    stream.on('close', resolve);
    stream.on('end', resolve);
    stream.on('error', () => resolve());
  });
  return {
    ended,
    text: () => toText(Buffer.concat(chunks), truncated),
    truncated: () => truncated,
  };
}

/** Process groups of the scripts running now, so that they can all be killed at once. */
const running = new Set<number>();
const processes = new RunProcesses();

/** Kills every script still running (the process that started them is going away). */
export function killAllScripts(): void {
  for (const pid of running) killGroup(pid);
  processes.stopAll();
}

function killGroup(pid: number | undefined): void {
  if (!pid) return;
  try {
    process.kill(-pid, 'SIGKILL');
  } catch {
    // Already gone.
  }
}

/**
 * Runs `/bin/sh -c <script>` in a fresh temporary directory, as the leader of its own process
 * group; at the timeout, over the memory cap and when the script exits, every process of the run
 * is stopped (bwrap: the PID namespace dies with its first process; none: see RunProcesses).
 * Params arrive only as PARAM_* variables and as JSON on stdin: the script text is never rewritten.
 */
export async function runScript(run: ScriptRun): Promise<ScriptResult> {
  const sandboxed = run.sandbox === 'bwrap';
  const dir = sandboxed ? sandboxDir(run.runId) : await mkdtemp(join(tmpdir(), 'openclaw-run-'));
  const started = Date.now();
  try {
    const [command, args] = sandboxed
      ? [run.bwrapPath ?? 'bwrap', [...bwrapArgs(dir), '/bin/sh', '-c', run.script]]
      : ['/bin/sh', ['-c', run.script]];
    const child = spawn(command, args, {
      // bwrap changes into the run's directory itself, inside the sandbox.
      cwd: sandboxed ? '/' : dir,
      env: scriptEnv(run.runId, dir, run.params),
      detached: true,
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    let overMemory = false;
    if (child.pid) {
      running.add(child.pid);
      processes.watch(run.runId, child.pid, run.maxMemoryMb * 1024 * 1024, () => {
        overMemory = true;
        killGroup(child.pid);
      });
    }
    const stdout = collect(child.stdout!, run.maxOutputBytes);
    const stderr = collect(child.stderr!, run.maxOutputBytes);
    // A script that never reads stdin closes it early; that is not an error.
    child.stdin!.on('error', () => undefined);
    child.stdin!.end(JSON.stringify(run.params));

    let timedOut = false;
    const timer = setTimeout(() => {
      timedOut = true;
      killGroup(child.pid);
      processes.stop(run.runId);
    }, run.timeoutMs);
    const exit = await new Promise<{ code: number | null; error?: Error }>((resolve) => {
      child.once('error', (error) => resolve({ code: null, error }));
      child.once('exit', (code) => resolve({ code }));
    });
    clearTimeout(timer);
    // Background processes the script left behind go with it.
    killGroup(child.pid);
    if (child.pid) running.delete(child.pid);
    // Whatever escaped the group (setsid, double fork) goes on the next tick, after the result is in.
    processes.end(run.runId);
    await Promise.race([
      Promise.all([stdout.ended, stderr.ended]),
      new Promise((r) => setTimeout(r, DRAIN_MS)),
    ]);

    const errText = exit.error ? `could not start the script: ${exit.error.message}\n` : '';
    let errOut = errText + stderr.text();
    if (overMemory) {
      if (errOut !== '' && !errOut.endsWith('\n')) errOut += '\n';
      errOut += `killed: the run used more than ${run.maxMemoryMb} MB of memory (SKILL_MAX_MEMORY_MB)\n`;
    }
    return {
      status: overMemory
        ? 'failed'
        : timedOut
          ? 'timed_out'
          : exit.code === 0
            ? 'succeeded'
            : 'failed',
      exitCode: overMemory || timedOut ? null : exit.code,
      stdout: stdout.text(),
      stderr: errOut,
      outputTruncated: stdout.truncated() || stderr.truncated(),
      durationMs: Date.now() - started,
    };
  } finally {
    if (!sandboxed) await rm(dir, { recursive: true, force: true });
  }
}
