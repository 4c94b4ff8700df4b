import { spawnSync } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';

/**
 * Every process of every run, found by walking /proc: the tree under the run's first process, plus
 * any process whose environment carries OPENCLAW_RUN_ID=<the run> (a double-forked or setsid'd
 * orphan, reparented away from the tree). Node cannot become a child subreaper, so this is how a
 * run without a PID namespace is stopped as a whole and held to its memory cap. One scan per tick
 * serves all runs, so a run's end costs no scan of its own.
 */

const TICK_MS = 100;
// SIGKILL cannot be ignored: only a process stuck in the kernel outlives this many sweeps; then we stop trying.
const MAX_SWEEPS = 50;
const RUN_ID_VAR = 'OPENCLAW_RUN_ID=';

interface ProcInfo {
  pid: number;
  ppid: number;
  key: string;
  rssBytes: number;
}

interface Watched {
  rootPid: number;
  maxBytes: number;
  onOverMemory: () => void;
  overMemory: boolean;
}

const pageSize = (() => {
  const out = spawnSync('getconf', ['PAGESIZE'], { encoding: 'utf8' }).stdout;
  return Number(out?.trim()) || 4096;
})();

function readProc(pid: string): ProcInfo | null {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'latin1');
    // The command name may hold spaces and parentheses: the fields start after the last ')'.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    if (fields[0] === 'Z' || fields[0] === 'X') return null; // dead: nothing left to stop
    return {
      pid: Number(pid),
      ppid: Number(fields[1]),
      key: `${pid}:${fields[19]}`, // pid and start time: a reused pid is another process
      rssBytes: Number(fields[21]) * pageSize,
    };
  } catch {
    return null; // gone meanwhile
  }
}

/** The OPENCLAW_RUN_ID a process was started with, '' when none or unreadable. */
function runIdOf(pid: number): string {
  try {
    const environ = `\0${readFileSync(`/proc/${pid}/environ`, 'latin1')}`;
    const at = environ.indexOf(`\0${RUN_ID_VAR}`);
    if (at < 0) return '';
    const start = at + 1 + RUN_ID_VAR.length;
    const end = environ.indexOf('\0', start);
    return environ.slice(start, end < 0 ? undefined : end);
  } catch {
    return '';
  }
}

function signal(pids: number[], sig: NodeJS.Signals): void {
  for (const pid of pids) {
    try {
      process.kill(pid, sig);
    } catch {
      // Already gone.
    }
  }
}

export class RunProcesses {
  private readonly watched = new Map<string, Watched>();
  /** Runs whose processes are to be stopped, with the sweeps done so far. */
  private readonly stopping = new Map<string, number>();
  /** Processes seen in a run on an earlier scan, by key: they stay the run's once reparented. */
  private known = new Map<string, string>();
  /** The OPENCLAW_RUN_ID of processes already read, by key: each environ is read once. */
  private envCache = new Map<string, string>();
  private timer?: NodeJS.Timeout;

  /** A run's first process has started: watch its memory until end() or stop(). */
  watch(runId: string, rootPid: number, maxBytes: number, onOverMemory: () => void): void {
    this.watched.set(runId, { rootPid, maxBytes, onOverMemory, overMemory: false });
    this.schedule();
  }

  /** The run's first process is gone: whatever it left behind is stopped on the next tick. */
  end(runId: string): void {
    this.watched.delete(runId);
    if (!this.stopping.has(runId)) this.stopping.set(runId, 0);
    this.schedule();
  }

  /** Stops every process of the run now (timeout, memory), then again on each tick until none remain. */
  stop(runId: string): void {
    if (!this.stopping.has(runId)) this.stopping.set(runId, 0);
    this.sweep(this.scan());
    this.schedule();
  }

  /** Stops every process of every run (the launcher is going away). */
  stopAll(): void {
    for (const runId of this.watched.keys()) this.stopping.set(runId, 0);
    for (let i = 0; i < 5 && this.stopping.size > 0; i++) this.sweep(this.scan());
  }

  private schedule(): void {
    if (this.timer) return;
    this.timer = setInterval(() => this.tick(), TICK_MS);
    this.timer.unref();
  }

  private tick(): void {
    const owned = this.scan();
    this.sweep(owned);
    for (const [runId, run] of this.watched) {
      if (run.overMemory || this.stopping.has(runId)) continue;
      const bytes = (owned.get(runId) ?? []).reduce((sum, p) => sum + p.rssBytes, 0);
      if (bytes > run.maxBytes) {
        run.overMemory = true;
        run.onOverMemory();
        this.stopping.set(runId, 0);
        this.sweep(owned);
      }
    }
    if (this.watched.size === 0 && this.stopping.size === 0) {
      clearInterval(this.timer);
      this.timer = undefined;
      this.known.clear();
      this.envCache.clear();
    }
  }

  /** SIGSTOP first so nothing forks while being killed, then SIGKILL; a run with none left is done. */
  private sweep(owned: Map<string, ProcInfo[]>): void {
    for (const [runId, sweeps] of this.stopping) {
      const pids = (owned.get(runId) ?? []).map((p) => p.pid);
      if (pids.length === 0 || sweeps >= MAX_SWEEPS) {
        if (!this.watched.has(runId)) this.stopping.delete(runId);
        continue;
      }
      signal(pids, 'SIGSTOP');
      signal(pids, 'SIGKILL');
      this.stopping.set(runId, sweeps + 1);
    }
  }

  /** One pass over /proc: the live processes of each run of interest. */
  private scan(): Map<string, ProcInfo[]> {
    const procs = new Map<number, ProcInfo>();
    for (const name of readdirSync('/proc')) {
      if (name.charCodeAt(0) < 48 || name.charCodeAt(0) > 57) continue;
      const info = readProc(name);
      if (info) procs.set(info.pid, info);
    }
    const roots = new Map<number, string>();
    for (const [runId, run] of this.watched) roots.set(run.rootPid, runId);
    const interesting = (runId: string) => this.watched.has(runId) || this.stopping.has(runId);

    const ownerOf = new Map<number, string>();
    const envCache = new Map<string, string>();
    const resolve = (p: ProcInfo, depth = 0): string => {
      const done = ownerOf.get(p.pid);
      if (done !== undefined) return done;
      let owner = roots.get(p.pid) ?? '';
      if (!owner) {
        const known = this.known.get(p.key);
        if (known && interesting(known)) owner = known;
      }
      if (!owner) {
        const parent = procs.get(p.ppid);
        if (parent && depth < 64) owner = resolve(parent, depth + 1);
      }
      if (!owner) {
        const fromEnv = this.envCache.get(p.key) ?? runIdOf(p.pid);
        envCache.set(p.key, fromEnv);
        if (interesting(fromEnv)) owner = fromEnv;
      }
      ownerOf.set(p.pid, owner);
      return owner;
    };

    const owned = new Map<string, ProcInfo[]>();
    const known = new Map<string, string>();
    for (const p of procs.values()) {
      const owner = resolve(p);
      if (!owner) continue;
      known.set(p.key, owner);
      const list = owned.get(owner);
      if (list) list.push(p);
      else owned.set(owner, [p]);
    }
    // Only processes alive now are remembered: the maps never outgrow /proc.
    this.known = known;
    this.envCache = envCache;
    return owned;
  }
}
