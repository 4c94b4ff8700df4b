// Top self-time frames of a V8 .cpuprofile (written by `node --cpu-prof`).
import { readdirSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';

export function topFrames(dir, root, limit = 25) {
  const files = readdirSync(dir).filter((f) => f.endsWith('.cpuprofile'));
  const self = new Map();
  let total = 0;
  for (const file of files) {
    const profile = JSON.parse(readFileSync(join(dir, file), 'utf8'));
    const dt = new Map();
    for (let i = 0; i < profile.samples.length; i++) {
      const id = profile.samples[i];
      dt.set(id, (dt.get(id) ?? 0) + (profile.timeDeltas[i] ?? 0));
    }
    for (const node of profile.nodes) {
      const us = dt.get(node.id) ?? 0;
      if (!us) continue;
      const { functionName, url, lineNumber } = node.callFrame;
      const where = url
        ? `${url.startsWith('file://') || url.startsWith('/') ? relative(root, url.replace('file://', '')) : url}:${lineNumber + 1}`
        : '';
      const key = `${functionName || '(anonymous)'} ${where}`.trim();
      self.set(key, (self.get(key) ?? 0) + us);
      total += us;
    }
  }
  return [...self.entries()]
    .sort((a, b) => b[1] - a[1])
    .slice(0, limit)
    .map(([frame, us]) => ({ frame, ms: us / 1000, share: total ? us / total : 0 }));
}
