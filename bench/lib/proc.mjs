// Child processes the harness starts, their CPU time and memory from /proc, and the clean-up
// that runs however the harness ends.
import { fork, spawn } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import net from 'node:net';
import { clearInterval, clearTimeout, setInterval, setTimeout } from 'node:timers';
import { fileURLToPath, URL } from 'node:url';

const children = new Set();
const cleanups = [];
const CLK_TCK = 100; // USER_HZ: 100 on every Linux architecture Node runs on

/** Runs `fn` at the end, last registered first, whatever ends the harness. */
export function onCleanup(fn) {
  cleanups.push(fn);
}

export async function cleanupAll() {
  for (const child of children) await stop(child);
  while (cleanups.length) {
    const fn = cleanups.pop();
    try {
      await fn();
    } catch (err) {
      process.stderr.write(`clean-up: ${err.message}\n`);
    }
  }
}

let exiting = false;
for (const signal of ['SIGINT', 'SIGTERM']) {
  process.on(signal, () => {
    if (exiting) return;
    exiting = true;
    process.stderr.write(`\n${signal}: stopping children and cleaning up\n`);
    cleanupAll().finally(() => process.exit(130));
  });
}
process.on('exit', () => {
  for (const child of children) child.kill('SIGKILL');
});

function track(child, name) {
  child.benchName = name;
  child.output = '';
  const keep = (chunk) => {
    child.output = (child.output + chunk.toString()).slice(-8000);
  };
  child.stdout?.on('data', keep);
  child.stderr?.on('data', keep);
  children.add(child);
  child.exited = new Promise((resolve) => child.once('exit', resolve));
  child.exited.then(() => children.delete(child));
  return child;
}

/** Forks a helper script of bench/lib; resolves with its port once it says it is ready. */
export async function startHelper(file, env = {}, execArgv = []) {
  const path = fileURLToPath(new URL(file, import.meta.url));
  const child = track(
    fork(path, [], {
      env: { ...process.env, ...env },
      execArgv,
      stdio: ['ignore', 'pipe', 'pipe', 'ipc'],
    }),
    file,
  );
  const port = await new Promise((resolve, reject) => {
    const timer = setTimeout(
      () => reject(new Error(`${file} did not start:\n${child.output}`)),
      30_000,
    );
    child.on('message', (msg) => {
      if (msg?.ready) {
        clearTimeout(timer);
        resolve(msg.port);
      }
    });
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`${file} exited with ${code}:\n${child.output}`));
    });
  });
  child.port = port;
  return child;
}

/** Asks a forked helper something over IPC and waits for the answer's `key`. */
export function ask(child, msg, key) {
  return new Promise((resolve) => {
    const onMessage = (m) => {
      if (m?.[key] !== undefined) {
        child.off('message', onMessage);
        resolve(m[key]);
      }
    };
    child.on('message', onMessage);
    child.send(msg);
  });
}

/** Spawns a long-running command (the server, Portkey) with its output kept for errors. */
export function startCommand(name, command, args, options) {
  return track(spawn(command, args, { stdio: ['ignore', 'pipe', 'pipe'], ...options }), name);
}

/** SIGTERM, then SIGKILL if it has not gone within `graceMs`. */
export async function stop(child, graceMs = 10_000) {
  if (!child || child.exitCode !== null || child.signalCode !== null) return;
  child.kill('SIGTERM');
  const timer = setTimeout(() => child.kill('SIGKILL'), graceMs);
  await child.exited;
  clearTimeout(timer);
}

export function freePort() {
  return new Promise((resolve, reject) => {
    const srv = net.createServer();
    srv.on('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address();
      srv.close(() => resolve(port));
    });
  });
}

/**
 * CPU seconds (user + system) so far of the process and of its children, live ones (the server's
 * script launcher) and reaped ones (skill scripts) alike.
 */
export function cpuSeconds(pid) {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    // Fields 14-17 of stat(5); f[0] is field 3.
    const own = (Number(f[11]) + Number(f[12]) + Number(f[13]) + Number(f[14])) / CLK_TCK;
    return own + liveChildren(pid).reduce((sum, child) => sum + (cpuSeconds(child) || 0), 0);
  } catch {
    return NaN;
  }
}

function liveChildren(pid) {
  try {
    return readdirSync(`/proc/${pid}/task`).flatMap((tid) =>
      readFileSync(`/proc/${pid}/task/${tid}/children`, 'utf8').split(' ').filter(Boolean),
    );
  } catch {
    return [];
  }
}

export function rssMiB(pid, field = 'VmRSS') {
  try {
    const m = readFileSync(`/proc/${pid}/status`, 'utf8').match(new RegExp(`${field}:\\s+(\\d+)`));
    return m ? Number(m[1]) / 1024 : NaN;
  } catch {
    return NaN;
  }
}

/** Watches a process while `work` runs: CPU seconds used and the highest RSS seen (sampled). */
/**
 * Resolves once the process has been nearly idle (under a tenth of a core) for 100 ms, or after
 * `maxMs`. A warm-up ends by cutting the requests it has in flight, and what the process does
 * about them (aborting the provider calls, recording them, loading the tokenizer that counts a cut
 * call's prompt: 0.4 s of compilation, once per process) belongs to neither the warm-up nor the
 * measured requests.
 */
export async function quiet(pid, maxMs = 5_000) {
  const until = Date.now() + maxMs;
  let last = cpuSeconds(pid);
  let calm = 0;
  while (calm < 2 && Date.now() < until) {
    await new Promise((resolve) => setTimeout(resolve, 50));
    const now = cpuSeconds(pid);
    calm = now - last < 0.005 ? calm + 1 : 0;
    last = now;
  }
}

export async function measure(pid, work) {
  let peak = rssMiB(pid);
  const timer = setInterval(() => {
    const rss = rssMiB(pid);
    if (rss > peak || Number.isNaN(peak)) peak = rss;
  }, 50);
  let cpu0 = cpuSeconds(pid);
  // A load with a warm-up calls this when its measured part starts: the CPU of the warm-up's
  // requests must not be charged to the measured ones (the peak RSS still covers both).
  const measuredFromHere = async () => {
    await quiet(pid);
    cpu0 = cpuSeconds(pid);
  };
  try {
    const result = await work(measuredFromHere);
    return { result, cpuSeconds: cpuSeconds(pid) - cpu0, peakRssMiB: Math.max(peak, rssMiB(pid)) };
  } finally {
    clearInterval(timer);
  }
}
