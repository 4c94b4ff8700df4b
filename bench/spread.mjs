// What an object literal that starts with a spread costs on the running Node: time per object and
// the full collections a million of them cause (each new hidden class is old-generation garbage).
// The reason for spreadChecks() in eslint.config.mjs. See bench/README.md.
//   node bench/spread.mjs            (any Node binary: path/to/node bench/spread.mjs)
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const CASES = {
  '{ ...a, b }': 'x = { ...a, b: i };',
  '{ ...a, ...c }': 'x = { ...a, ...c };',
  'o = { ...a }; o.b = i': 'x = { ...a }; x.b = i;',
  '{ b, ...a }': 'x = { b: i, ...a };',
  'Object.assign({}, a, { b })': 'x = Object.assign({}, a, { b: i });',
  '{ ...{}, b }': 'x = { ...e, b: i };',
};
const N = 1_000_000;

if (process.argv[2] === '--case') {
  const body = CASES[process.argv[3]];
  const run = new Function(
    'N',
    `const a = { id: 'x', role: 'user' }; const c = { d: 1 }; const e = {}; let x;
     for (let i = 0; i < N; i++) { ${body} } return x;`,
  );
  run(10_000);
  const started = process.hrtime.bigint();
  run(N);
  process.stdout.write(String(Number(process.hrtime.bigint() - started) / N));
} else {
  process.stdout.write(
    `Node ${process.version}\n\n| literal | ns each | full collections per million |\n| --- | ---: | ---: |\n`,
  );
  for (const name of Object.keys(CASES)) {
    const child = spawnSync(
      process.execPath,
      ['--trace-gc', fileURLToPath(import.meta.url), '--case', name],
      { encoding: 'utf8' },
    );
    const lines = child.stdout.split('\n');
    const fulls = lines.filter((l) => l.includes('Mark-Compact')).length;
    const ns = Number(lines.at(-1));
    process.stdout.write(`| \`${name}\` | ${ns.toFixed(0)} | ${fulls} |\n`);
  }
}
