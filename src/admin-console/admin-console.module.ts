import { existsSync } from 'node:fs';
import { join } from 'node:path';

import { DynamicModule, Logger, Module } from '@nestjs/common';
import { ServeStaticModule } from '@nestjs/serve-static';
import type { Response } from 'express';

export const ADMIN_CONSOLE_PATH = '/admin';

/**
 * Where `npm run build` puts the console (web/ → dist/admin): beside the compiled server, or, for
 * a server run from its TypeScript sources (the tests), in the repository's dist/.
 */
export function consoleRoot(): string | null {
  const candidates = [join(__dirname, '../../admin'), join(__dirname, '../../dist/admin')];
  return candidates.find((dir) => existsSync(join(dir, 'index.html'))) ?? null;
}

/** Hashed assets never change under their name; index.html names the current ones, so it is revalidated. */
function cacheHeaders(res: Response, path: string): void {
  const hashed = /[\\/]assets[\\/][^\\/]+-[A-Za-z0-9_-]{8,}\.\w+$/.test(path);
  res.setHeader('Cache-Control', hashed ? 'public, max-age=31536000, immutable' : 'no-cache');
}

/**
 * The admin console (SPEC §14): static files at /admin, with every other /admin/… path answered by
 * index.html so the console's own router handles it. The API's headers (helmet's CSP) apply as to any route.
 */
@Module({})
export class AdminConsoleModule {
  static forRoot(): DynamicModule {
    const root = consoleRoot();
    if (!root) {
      new Logger(AdminConsoleModule.name).warn(
        `The admin console is not built, so ${ADMIN_CONSOLE_PATH} is not served: run npm run build`,
      );
      return { module: AdminConsoleModule };
    }
    return {
      module: AdminConsoleModule,
      imports: [
        ServeStaticModule.forRoot({
          rootPath: root,
          serveRoot: ADMIN_CONSOLE_PATH,
          serveStaticOptions: { setHeaders: cacheHeaders, fallthrough: true },
        }),
      ],
    };
  }
}
