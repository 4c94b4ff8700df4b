import { ChildProcess, fork } from 'node:child_process';
import { extname, join } from 'node:path';

import type { LaunchReply, LaunchRequest } from './launcher-main';
import type { ScriptResult, ScriptRun } from './script-runner';

// The launcher's own environment: nothing of the server's (each script's is set per run anyway).
const LAUNCHER_ENV = { PATH: '/usr/local/bin:/usr/bin:/bin', LANG: 'C.UTF-8' };

interface Waiting {
  child: ChildProcess;
  resolve: (result: ScriptResult) => void;
  reject: (err: Error) => void;
}

/**
 * Runs scripts through the launcher process (see launcher-main.ts), started on first use and
 * again after it died; a run in progress when it dies fails with an error.
 */
export class ScriptLauncher {
  private child?: ChildProcess;
  private nextId = 1;
  private readonly waiting = new Map<number, Waiting>();

  run(run: ScriptRun): Promise<ScriptResult> {
    const child = this.start();
    const id = this.nextId++;
    return new Promise<ScriptResult>((resolve, reject) => {
      this.waiting.set(id, { child, resolve, reject });
      child.send({ id, run } satisfies LaunchRequest, (err) => {
        if (err) this.settle({ id, error: `could not reach the script launcher: ${err.message}` });
      });
    });
  }

  /** After the last run has finished: the launcher exits once disconnected. */
  close(): void {
    if (this.child?.connected) this.child.disconnect();
    this.child = undefined;
  }

  private start(): ChildProcess {
    if (this.child?.connected) return this.child;
    // Under ts-jest this file is TypeScript, and so is the launcher's entry.
    const typescript = extname(__filename) === '.ts';
    const child = fork(join(__dirname, `launcher-main${extname(__filename)}`), [], {
      env: LAUNCHER_ENV,
      execArgv: typescript ? ['--require', 'ts-node/register/transpile-only'] : [],
      serialization: 'advanced',
      stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
    });
    // Never what keeps the server running: the worker's own connections do that while it works.
    child.unref();
    child.channel?.unref();
    child.on('message', (reply: LaunchReply) => this.settle(reply));
    child.on('error', () => undefined);
    child.once('exit', (code, signal) => {
      if (this.child === child) this.child = undefined;
      for (const [id, waiting] of [...this.waiting])
        if (waiting.child === child)
          this.settle({ id, error: `the script launcher exited (${signal ?? code})` });
    });
    this.child = child;
    return child;
  }

  private settle(reply: LaunchReply): void {
    const waiting = this.waiting.get(reply.id);
    if (!waiting) return;
    this.waiting.delete(reply.id);
    if (reply.result) waiting.resolve(reply.result);
    else waiting.reject(new Error(reply.error ?? 'the script launcher gave no result'));
  }
}
