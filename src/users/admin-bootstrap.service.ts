import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';

import { Injectable, Logger, OnApplicationBootstrap } from '@nestjs/common';

import { EnvService } from '../core/env/env.service';
import { hashPassword, randomSecret } from '../core/security/password';
import { StartupError } from '../core/startup/startup.error';
import { UsersService } from './users.service';

export const DEFAULT_ADMIN_EMAIL = 'admin@openclaw.local';
export const PASSWORD_FILE = 'initial-admin-password';

export class AdminBootstrapError extends StartupError {}

/** Makes sure a fresh installation has an admin to log in with (SPEC §2). */
@Injectable()
export class AdminBootstrapService implements OnApplicationBootstrap {
  private readonly logger = new Logger('Bootstrap');

  constructor(
    private readonly users: UsersService,
    private readonly env: EnvService,
  ) {}

  async onApplicationBootstrap(): Promise<void> {
    if ((await this.users.countAdmins()) > 0) return;
    const email = this.env.get('ADMIN_EMAIL');
    const password = this.env.get('ADMIN_PASSWORD');
    if (email && password) {
      const created = await this.insertAdmin(email, password);
      if (created) this.logger.log(`Created the first admin ${email} from ADMIN_EMAIL`);
      else
        this.logger.warn(`ADMIN_EMAIL ${email} belongs to an existing user; no admin was created`);
      return;
    }
    await this.createWithGeneratedPassword();
  }

  private async createWithGeneratedPassword(): Promise<void> {
    const password = randomSecret(18);
    const file = resolve(join(this.env.get('DATA_DIR'), PASSWORD_FILE));
    try {
      // The file is written before the user exists, so a failure never leaves an admin nobody can use.
      mkdirSync(dirname(file), { recursive: true });
      writeFileSync(file, `${password}\n`, { mode: 0o600 });
    } catch (err) {
      throw new AdminBootstrapError(
        `Cannot write ${file} (${(err as NodeJS.ErrnoException).code ?? 'error'}) for the first admin's password. Set ADMIN_EMAIL and ADMIN_PASSWORD instead.`,
      );
    }
    if (await this.insertAdmin(DEFAULT_ADMIN_EMAIL, password)) {
      this.logger.log(`Created the first admin ${DEFAULT_ADMIN_EMAIL}; its password is in ${file}`);
    } else {
      rmSync(file, { force: true });
    }
  }

  private async insertAdmin(email: string, password: string): Promise<boolean> {
    const user = await this.users.insertIfAbsent({
      email: email.toLowerCase(),
      name: 'Admin',
      passwordHash: await hashPassword(password),
      role: 'admin',
      disabled: false,
    });
    return user !== null;
  }
}
