import { AsyncLocalStorage } from 'node:async_hooks';

type Closer = () => unknown;

interface Build {
  closers: Closer[];
  state: 'building' | 'failed' | 'built';
}

const scope = new AsyncLocalStorage<Build>();
let building = 0;
/** Once a build failed, its providers still being built may call closeIfStartFails at any time. */
let failedBuild = false;

/**
 * Runs `build` (NestFactory.create) so that the connections its providers open can be closed if it
 * fails: Nest keeps no handle on a half-built app, and an open socket would keep the process (or
 * Jest) alive.
 */
export async function closingOnFailure<T>(build: () => Promise<T>): Promise<T> {
  const current: Build = { closers: [], state: 'building' };
  building++;
  try {
    const built = await scope.run(current, build);
    current.state = 'built';
    current.closers.length = 0;
    return built;
  } catch (err) {
    current.state = 'failed';
    failedBuild = true;
    await Promise.allSettled(current.closers.splice(0).map(async (close) => close()));
    throw err;
  } finally {
    // An enabled AsyncLocalStorage makes Node track every promise the app ever creates (the
    // request path makes many); once every build has succeeded, nothing needs the scope.
    if (--building === 0 && !failedBuild) scope.disable();
  }
}

/** For a connection opened while the app is being built: closed should that build fail. */
export function closeIfStartFails(close: Closer): void {
  const build = scope.getStore();
  // A provider still being built when another one failed the build: close at once.
  if (build?.state === 'failed') void Promise.resolve().then(close);
  else if (build?.state === 'building') build.closers.push(close);
}
