import { spawnSync } from 'node:child_process';
import { join } from 'node:path';

const ROOT = join(__dirname, '../..');
// Built, not written out, so a plain grep for core→feature imports does not take these cases for real ones.
const UP2 = '../'.repeat(2);

const REJECTED: [string, string][] = [
  ['src/core/auth/x.ts', `import { UsersService } from '${UP2}users/users.service';`],
  ['src/core/auth/x.ts', `import type { Role } from '${UP2}users/entities/user.entity';`],
  ['src/core/http/x.ts', `export { MetricsService } from '${UP2}metrics/metrics.service';`],
  ['src/core/database/migrations/x.ts', "import { ENTITIES } from '../../../entities';"],
  ['src/core/startup/x.ts', "import { AppModule } from '../../app.module';"],
  ['src/core/x.ts', "import { ApiKeysService } from '../auth/api-keys.service';"],
  ['src/core/redis/x.ts', "import { SkillEntity } from 'src/skills/entities/skill.entity';"],
];
const ALLOWED: [string, string][] = [
  ['src/core/http/x.ts', "import type { Role } from '../auth/role';"],
  ['src/core/database/migrations/x.ts', `import { x } from '${UP2}auth/principal';`],
  ['src/core/database/x.ts', "import { X } from './entities/system-setting.entity';"],
  ['src/users/x.ts', "import { MetricsService } from '../metrics/metrics.service';"],
];

/**
 * What the repo's own import rule (STYLE habit 16) says of each [path, code], one list per case.
 * Run in a child: eslint.config.mjs is an ES module, which this CommonJS test cannot import.
 */
function lint(cases: [string, string][]): string[][] {
  const script = `
    import { Linter } from 'eslint';
    import tseslint from 'typescript-eslint';
    import config from './eslint.config.mjs';
    const rules = config.filter((c) => c.rules?.['no-restricted-imports']);
    const parser = { files: ['**/*.ts'], languageOptions: { parser: tseslint.parser } };
    const linter = new Linter({ cwd: process.cwd() });
    const found = JSON.parse(process.argv[1]).map(([path, code]) =>
      linter.verify(code, [parser, ...rules], path).map((m) => m.ruleId + ': ' + m.message),
    );
    process.stdout.write(JSON.stringify(found));
  `;
  const input = JSON.stringify(cases.map(([path, code]) => [join(ROOT, path), code]));
  const run = spawnSync(process.execPath, ['--input-type=module', '-e', script, input], {
    cwd: ROOT,
    encoding: 'utf8',
  });
  if (run.status !== 0) throw new Error(run.stderr);
  return JSON.parse(run.stdout) as string[][];
}

describe('core/ imports no feature (the lint rule)', () => {
  let found: string[][];
  beforeAll(() => {
    found = lint([...REJECTED, ...ALLOWED]);
  });

  it.each(REJECTED.map((c, i) => [...c, i] as const))('rejects, in %s, %s', (_p, _c, i) => {
    expect(found[i]).toHaveLength(1);
    expect(found[i][0]).toMatch(/^no-restricted-imports: .*core\/ imports no feature/);
  });

  it.each(ALLOWED.map((c, i) => [...c, REJECTED.length + i] as const))(
    'allows, in %s, %s',
    (_p, _c, i) => {
      expect(found[i]).toEqual([]);
    },
  );
});
