import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';

import { parseAllDocuments } from 'yaml';

// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type Manifest = Record<string, any>;

/** Every YAML document of a file, failing on the first syntax error. */
export function readManifests(file: string): Manifest[] {
  return parseAllDocuments(readFileSync(file, 'utf8'))
    .map((d) => {
      if (d.errors.length > 0) throw new Error(`${file}: ${d.errors[0].message}`);
      return d.toJSON() as Manifest | null;
    })
    .filter((d): d is Manifest => d !== null);
}

/** Kinds that live in no namespace: `namespace:` leaves them alone. */
const CLUSTER_KINDS = new Set([
  'Namespace',
  'ClusterRole',
  'ClusterRoleBinding',
  'CustomResourceDefinition',
]);

const sameObject = (a: Manifest, b: Manifest) =>
  a.kind === b.kind && a.metadata?.name === b.metadata?.name;

/** Strategic merge as kustomize does it for what these manifests use: maps merge, named lists merge by name. */
function merge(base: unknown, patch: unknown): unknown {
  if (Array.isArray(base) && Array.isArray(patch)) {
    const named = (xs: unknown[]) =>
      xs.every((x) => typeof x === 'object' && x !== null && 'name' in x);
    if (!named(base) || !named(patch)) return patch;
    const out = base.map((item) => {
      const over = (patch as Manifest[]).find((p) => p.name === (item as Manifest).name);
      return over ? merge(item, over) : item;
    });
    for (const p of patch as Manifest[])
      if (!base.some((b) => (b as Manifest).name === p.name)) out.push(p);
    return out;
  }
  if (
    typeof base === 'object' &&
    base !== null &&
    !Array.isArray(base) &&
    typeof patch === 'object' &&
    patch !== null &&
    !Array.isArray(patch)
  ) {
    const out: Manifest = { ...(base as Manifest) };
    for (const [k, v] of Object.entries(patch)) out[k] = k in out ? merge(out[k], v) : v;
    return out;
  }
  return patch;
}

function setImages(doc: Manifest, images: Manifest[]): void {
  const pod = doc.spec?.template?.spec ?? doc.spec?.jobTemplate?.spec?.template?.spec;
  if (!pod) return;
  for (const c of [...(pod.initContainers ?? []), ...(pod.containers ?? [])]) {
    const [name, tag] = (c.image as string).split(/:(?=[^/]+$)/);
    const rule = images.find((i) => i.name === name);
    if (!rule) continue;
    if (rule.digest) c.image = `${rule.newName ?? name}@${rule.digest}`;
    else c.image = `${rule.newName ?? name}${(rule.newTag ?? tag) ? `:${rule.newTag ?? tag}` : ''}`;
  }
}

/**
 * Renders a kustomization directory with the features this repository's kustomizations use
 * (resources, components, namespace, images, patches with `path`, `$patch: delete`), since no
 * kustomize implementation installs offline from npm or Debian. `kubectlKustomize` below is the
 * reference where kubectl is present.
 */
export function kustomize(dir: string): Manifest[] {
  const k = readManifests(join(dir, 'kustomization.yaml'))[0];
  let docs: Manifest[] = [];
  for (const entry of k.resources ?? []) {
    const path = resolve(dir, entry as string);
    docs.push(...(statSync(path).isDirectory() ? kustomize(path) : readManifests(path)));
  }
  const patchFiles: string[] = (k.patches ?? []).map((p: Manifest) => resolve(dir, p.path));
  for (const entry of k.components ?? []) {
    const cdir = resolve(dir, entry as string);
    const c = readManifests(join(cdir, 'kustomization.yaml'))[0];
    for (const r of c.resources ?? []) docs.push(...readManifests(resolve(cdir, r as string)));
    patchFiles.unshift(...(c.patches ?? []).map((p: Manifest) => resolve(cdir, p.path)));
  }
  for (const file of patchFiles) {
    for (const patch of readManifests(file)) {
      const at = docs.findIndex((d) => sameObject(d, patch));
      if (at < 0) throw new Error(`${file}: no ${patch.kind} ${patch.metadata?.name} to patch`);
      if (patch.$patch === 'delete') docs.splice(at, 1);
      else docs[at] = merge(docs[at], patch) as Manifest;
    }
  }
  docs = structuredClone(docs);
  for (const doc of docs) {
    if (k.namespace && !CLUSTER_KINDS.has(doc.kind)) doc.metadata.namespace = k.namespace;
    if (k.images) setImages(doc, k.images);
  }
  return docs;
}

/** `kubectl kustomize` (kustomize itself) when kubectl is installed, else null. */
export function kubectlKustomize(dir: string): Manifest[] | null {
  const kubectl = ['/usr/bin/kubectl', '/usr/local/bin/kubectl'].find((p) => existsSync(p));
  if (!kubectl) return null;
  const out = execFileSync(kubectl, ['kustomize', dir], { encoding: 'utf8', cwd: dirname(dir) });
  return parseAllDocuments(out).map((d) => d.toJSON() as Manifest);
}
