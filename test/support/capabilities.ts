import { spawnSync } from 'node:child_process';
import { basename } from 'node:path';

import { probeBwrap } from '../../src/skills/runner/script-runner';

/** Something of the machine a few tests need (a program, a kernel feature), and how to get it. */
export interface Capability {
  name: string;
  install: string;
  /** Why it is missing here, or null when it is present. */
  problem(): string | null;
}

export const BUBBLEWRAP: Capability = {
  name: 'bubblewrap',
  install: 'apt-get install bubblewrap (and allow unprivileged user namespaces)',
  problem() {
    const probe = probeBwrap();
    return 'problem' in probe ? probe.problem : null;
  },
};

/** Set by CI (.ci/run): a missing capability fails the run instead of skipping its tests. */
const REQUIRED = process.env.OPENCLAW_REQUIRE_CAPABILITIES === '1';
const seen = new Map<Capability, boolean>();

/**
 * Whether the capability is present. When it is not, the caller skips its tests and ONE line says
 * so (per test file and capability); with OPENCLAW_REQUIRE_CAPABILITIES=1 this throws instead,
 * which fails the test file.
 */
export function hasCapability(cap: Capability): boolean {
  const known = seen.get(cap);
  if (known !== undefined) return known;
  const problem = cap.problem();
  if (problem && REQUIRED) {
    throw new Error(
      `${cap.name} is required (OPENCLAW_REQUIRE_CAPABILITIES=1) but missing: ${problem}. Install it: ${cap.install}`,
    );
  }
  if (problem) {
    const file = basename(expect.getState().testPath ?? '');
    process.stderr.write(
      `[skipped] ${file}: the tests that need ${cap.name} (${problem}); install it: ${cap.install}\n`,
    );
  }
  seen.set(cap, !problem);
  return !problem;
}

/** `describe` when the capability is present, else `describe.skip` (see hasCapability). */
export function describeWith(cap: Capability): jest.Describe {
  return hasCapability(cap) ? describe : describe.skip;
}

function missingCommand(command: string, args: string[]): string | null {
  const r = spawnSync(command, args, { encoding: 'utf8' });
  return r.error
    ? `${command} not found`
    : r.status === 0
      ? null
      : `${command} failed: ${r.stderr}`;
}

export const DOCKER_COMPOSE: Capability = {
  name: 'docker-compose',
  install:
    'apt-get install docker-compose (it validates docker-compose.yml; no Docker engine needed)',
  problem: () => missingCommand('docker-compose', ['version']),
};

/** Debian's Chromium, which playwright-core drives (it downloads no browser of its own). */
export const CHROMIUM_PATH = '/usr/bin/chromium';

export const CHROMIUM: Capability = {
  name: 'Chromium',
  install:
    "apt-get install chromium (Debian's package; the console tests drive it with playwright-core)",
  problem: () => missingCommand(CHROMIUM_PATH, ['--version']),
};
