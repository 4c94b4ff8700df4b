import { Logger } from '@nestjs/common';

import { EnvValidationError, loadEnv } from './core/env/env';
import { SHUTDOWN_CLEANUP_MS, ShutdownService } from './core/shutdown/shutdown.service';
import { preflight, PreflightError } from './core/startup/preflight';
import { StartupError } from './core/startup/startup.error';
import { createApp } from './create-app';
import { readPricesFile } from './models/prices-file';
import { readProvidersFile } from './models/providers-file';

/**
 * Start-up problems a user can fix get one line each on stderr, never a stack trace: a JSON line
 * like every other log line (pino's shape, level fatal), so a log collector reads them too.
 */
function fail(lines: string[]): never {
  for (const line of lines) {
    const entry = { level: 60, time: new Date().toISOString(), service: 'openclaw', msg: line };
    process.stderr.write(`${JSON.stringify(entry)}\n`);
  }
  process.exit(1);
}

async function main(): Promise<void> {
  let env;
  try {
    env = loadEnv();
  } catch (err) {
    if (err instanceof EnvValidationError) {
      fail(err.problems.map((p) => `Configuration error: ${p}`));
    }
    throw err;
  }
  try {
    // Read here too so a bad file is one clear line, not an error inside Nest's dependency injection.
    if (env.PROVIDERS_FILE) readProvidersFile(env.PROVIDERS_FILE, env.variables);
    if (env.PRICES_FILE) readPricesFile(env.PRICES_FILE);
    await preflight(env);
  } catch (err) {
    if (err instanceof PreflightError || err instanceof StartupError) fail([err.message]);
    throw err;
  }
  let app;
  try {
    app = await createApp(env);
    await app.listen(env.PORT, env.HOST);
  } catch (err) {
    if (err instanceof StartupError) fail([err.message]);
    const e = err as NodeJS.ErrnoException;
    if (e.code === 'EADDRINUSE')
      fail([`Port ${env.PORT} is already in use. Stop the other process or set PORT.`]);
    throw err;
  }
  const logger = new Logger('Main');
  logger.log(`OpenClaw (${env.ROLE}) listening on http://${env.HOST}:${env.PORT}`);

  let stopping = false;
  const shutdown = (signal: NodeJS.Signals) => {
    if (stopping) return;
    stopping = true;
    logger.log(`${signal}: finishing in-flight requests, streams and jobs, then exiting`);
    // A hard limit, so a stuck request or job cannot keep the process from stopping.
    const limitMs = env.SHUTDOWN_TIMEOUT_MS + SHUTDOWN_CLEANUP_MS;
    setTimeout(() => {
      logger.error(
        `Shutdown took longer than SHUTDOWN_TIMEOUT_MS + ${SHUTDOWN_CLEANUP_MS} ms (${limitMs} ms); exiting`,
      );
      process.exit(1);
    }, limitMs).unref();
    // Requests and streams get the whole deadline; workers finish their jobs meanwhile.
    app
      .get(ShutdownService)
      .drain(app.getHttpServer(), env.SHUTDOWN_TIMEOUT_MS)
      .then(() => app.close())
      .then(() => {
        logger.log('stopped');
        process.exit(0);
      })
      .catch((err: Error) => {
        logger.error(`Shutdown failed: ${err.message}`);
        process.exit(1);
      });
  };
  process.on('SIGTERM', shutdown);
  process.on('SIGINT', shutdown);
}

main().catch((err: Error) => {
  fail([`Start-up failed: ${err.message}`]);
});
