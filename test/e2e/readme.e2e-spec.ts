import { execFile } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';

import { ServerProcess, spawnServer } from '../support/server-process';
import { resetDatabase } from '../support/test-app';
import { testEnv } from '../support/test-env';

const ROOT = resolve(__dirname, '../..');
const run = promisify(execFile);

/** The first fenced block of `lang` in the section of `file` titled `heading` (## or ###). */
function codeBlocks(file: string, heading: string, lang: string): string[] {
  const text = readFileSync(join(ROOT, file), 'utf8');
  const start = text.search(new RegExp(`^#+ ${heading}$`, 'm'));
  if (start < 0) throw new Error(`${file} has no section "${heading}"`);
  const rest = text.slice(start + 1);
  const next = rest.search(/^## /m);
  const section = next < 0 ? rest : rest.slice(0, next);
  const blocks = [...section.matchAll(new RegExp('```' + lang + '\\n([\\s\\S]*?)```', 'g'))];
  if (blocks.length === 0) throw new Error(`no ${lang} block under "${heading}" in ${file}`);
  return blocks.map((m) => m[1]);
}

/**
 * The README's walk-through and the SDK quick starts, run as a newcomer runs them (pasted into a
 * shell, saved as index.js), against the built server on a fresh data directory: so they cannot rot.
 */
describe('README walk-through and SDK quick starts', () => {
  let server: ServerProcess;
  let base: string;
  let key: string;

  beforeAll(async () => {
    const databaseUrl = process.env.DATABASE_URL;
    if (databaseUrl) await resetDatabase(testEnv({ DATABASE_URL: databaseUrl }));
    // No ADMIN_EMAIL: the first admin's password is written to ./data as the README says.
    server = spawnServer(databaseUrl ? { DATABASE_URL: databaseUrl } : {});
    await server.waitForOutput(/listening on/);
    base = `http://127.0.0.1:${server.port}`;
  });
  afterAll(() => server?.stop());

  it('"First steps with curl" runs as pasted, each step answering without an error', async () => {
    const [script] = codeBlocks('README.md', 'First steps with curl', 'bash');
    const pasted = script.replaceAll('http://localhost:3000', base);
    const { stdout } = await run('bash', ['-euo', 'pipefail', '-c', `${pasted}\necho "KEY=$KEY"`], {
      cwd: server.cwd,
      timeout: 30_000,
    });
    expect(stdout).not.toContain('"error"');
    // Step 4: the key is the new user's, not the admin's.
    expect(stdout).toMatch(/"email":"user@example\.com"/);
    // Step 5: the echo model's answer; step 6: a stream in the same session.
    const reply = /\{"response":"你好","session_id":"([^"]+)"/.exec(stdout);
    expect(reply).not.toBeNull();
    expect(stdout).toContain('data: {"text":"诗"}');
    expect(stdout).toContain(`event: usage\ndata: {"session_id":"${reply![1]}"`);
    expect(stdout).toContain('data: [DONE]');
    key = /^KEY=(oc_\S+)$/m.exec(stdout)![1];
  });

  it('the JS SDK quick start works as index.js (CommonJS) and as index.mjs in an npm init -y project', async () => {
    const project = mkdtempSync(join(tmpdir(), 'openclaw-quickstart-js-'));
    await run('npm', ['init', '-y'], { cwd: project });
    // What `npm install /path/to/sdk/js` makes: a link to the built package.
    mkdirSync(join(project, 'node_modules'));
    symlinkSync(join(ROOT, 'sdk', 'js'), join(project, 'node_modules', 'openclaw-sdk'), 'dir');
    const [cjs, esm] = codeBlocks('sdk/js/README.md', 'Quick start', 'js');
    const env = { PATH: process.env.PATH!, OPENCLAW_BASE_URL: `${base}/api/v1` };
    for (const [file, code] of [
      ['index.js', cjs],
      ['index.mjs', esm],
    ]) {
      writeFileSync(join(project, file), code.replaceAll('your-api-key', key));
      const { stdout } = await run(process.execPath, [file], { cwd: project, env });
      expect(stdout.trim()).toBe('你好');
    }
  });

  it('the Python SDK quick start runs as pasted', async () => {
    const [code] = codeBlocks('sdk/python/README.md', 'Quick start', 'python');
    const child = run(
      process.env.OPENCLAW_SDK_PYTHON || 'python3',
      ['-c', code.replaceAll('your-api-key', key)],
      {
        cwd: tmpdir(),
        env: {
          PATH: process.env.PATH!,
          HOME: process.env.HOME ?? tmpdir(),
          PYTHONPATH: join(ROOT, 'sdk', 'python'),
          OPENCLAW_BASE_URL: `${base}/api/v1`,
        },
      },
    );
    expect((await child).stdout.trim()).toBe('你好');
  });

  it('the agent loop of "OpenAI-compatible endpoint" runs as agent.mjs with the openai package', async () => {
    const project = mkdtempSync(join(tmpdir(), 'openclaw-agent-loop-'));
    mkdirSync(join(project, 'node_modules'));
    symlinkSync(
      join(ROOT, 'node_modules', 'openai'),
      join(project, 'node_modules', 'openai'),
      'dir',
    );
    const [code] = codeBlocks('README.md', 'OpenAI-compatible endpoint', 'js').slice(-1);
    writeFileSync(join(project, 'agent.mjs'), code.replaceAll('http://localhost:3000', base));
    const env = { PATH: process.env.PATH!, OPENCLAW_API_KEY: key };
    const { stdout } = await run(process.execPath, ['agent.mjs'], { cwd: project, env });
    expect(stdout.trim()).toBe('Sunny, 21 °C');
  });
});
