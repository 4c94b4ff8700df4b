/**
 * The script launcher: a small child process of the worker that starts the skills' scripts.
 * Forking the worker itself for every run costs milliseconds of blocked event loop (the kernel
 * copies its large address space, then waits for the exec); forking this process costs little.
 */
import { killAllScripts, runScript, ScriptRun } from './script-runner';

export interface LaunchRequest {
  id: number;
  run: ScriptRun;
}

export interface LaunchReply {
  id: number;
  result?: Awaited<ReturnType<typeof runScript>>;
  error?: string;
}

// A stop is the worker's to decide: it lets the runs in progress finish, then disconnects.
process.on('SIGTERM', () => undefined);
process.on('SIGINT', () => undefined);

// The worker is gone (stopped or killed): no script outlives it. Then the kernel ends this process:
// Node's own exit can deadlock in its teardown (nodejs/node#54918), and once left a launcher
// orphaned for good, with a killed run's bwrap unreaped and the worker's stdout held open.
process.on('disconnect', () => {
  killAllScripts();
  process.kill(process.pid, 'SIGKILL');
});

process.on('message', (msg: LaunchRequest) => {
  runScript(msg.run).then(
    (result) => process.send?.({ id: msg.id, result } satisfies LaunchReply),
    (err: Error) => process.send?.({ id: msg.id, error: err.message } satisfies LaunchReply),
  );
});
