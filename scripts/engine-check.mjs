#!/usr/bin/env node
/**
 * engine-check: does Hydrate's wet output for `from: flux` / `from: argocd` units equal what the
 * engine would apply? For every unit, independently of Hydrate's code, this script writes the
 * kustomization the engine's controller would write (in a temporary copy of the repository),
 * runs real `kubectl kustomize` on it, applies what the controller applies after the build, and
 * compares the object set with the files Hydrate wrote for the unit (both read with the `yaml`
 * package, YAML 1.1).
 *
 *   node scripts/engine-check.mjs --repo DIR [--config hydrate.yaml] [--kubectl PATH] [--helm PATH] [--keep]
 *
 * Needs `npm run bundle` first (runs `node dist/cli.js render`). Prints one line per unit
 * (`equal`, `differs` with the first differing object, `unresolvable` with Hydrate's reason,
 * `error` with Hydrate's error, `skipped` with why this check cannot compute it) and totals; exits 1 when a unit differs.
 *
 * Flux (kustomize-controller): the path's kustomization, or the one its generator writes (every
 * .yaml/.yml file below the path; a sub-folder with a kustomization as one resource); then
 * `namespace` ← targetNamespace, namePrefix, nameSuffix, patches and components appended, images
 * (same name replaced); build with LoadRestrictionsNone as the controller builds; then
 * postBuild by plain text replacement of `${var}` / `${var:=d}` / `${var:-d}` with `substitute`
 * and the repository's `substituteFrom` ConfigMaps (objects with the substitute: disabled label or
 * annotation left alone); then commonMetadata labels/annotations set on every object.
 * Argo CD (repo-server): kustomize sources get the `kustomize edit` results (namePrefix,
 * nameSuffix, namespace, images, replicas, commonLabels, commonAnnotations, patches, components);
 * Helm sources run `helm template`; directory sources read the YAML files.
 */
import { execFileSync } from 'node:child_process';
import { cpSync, existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, posix, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import YAML from 'yaml';

const here = dirname(fileURLToPath(import.meta.url));
const root = resolve(here, '..');
const args = process.argv.slice(2);
const opt = (name, dflt) => {
  const i = args.indexOf(name);
  return i >= 0 ? args[i + 1] : dflt;
};
const repo = resolve(opt('--repo', '.'));
const config = resolve(repo, opt('--config', 'hydrate.yaml'));
const kubectl = opt('--kubectl', join(root, '.tools/kubectl-1.35/kubectl'));
const helm = opt('--helm', join(root, '.tools/helm3/helm'));
const keep = args.includes('--keep');

/**
 * YAML 1.1 documents as Go's readers see them: a plain scalar the 1.1 float pattern matches but
 * that is no number (`.`, `1.2.3`) is a string to go-yaml, NaN to the `yaml` package.
 */
const y11 = (text) =>
  YAML.parseAllDocuments(text, { version: '1.1' })
    .map((d) => {
      YAML.visit(d, {
        Scalar(_, node) {
          if (typeof node.value === 'number' && Number.isNaN(node.value) && !/^\.nan$/i.test(String(node.source))) node.value = String(node.source);
        }
      });
      return d.toJS();
    })
    .filter((o) => o && typeof o === 'object' && !Array.isArray(o));
const KFILES = ['kustomization.yaml', 'kustomization.yml', 'Kustomization'];
const kfile = (dir) => KFILES.map((f) => join(dir, f)).find((f) => existsSync(f));
const norm = (p) => posix.normalize(String(p ?? '').replace(/^(\.\/)+/, '').replace(/\/+$/, '') || '.').replace(/^\.$/, '');

/** Every YAML object below a folder of the repository, with its file. */
function objectsBelow(rel) {
  const out = [];
  const walk = (r) => {
    for (const e of readdirSync(join(repo, r), { withFileTypes: true }).sort((a, b) => (a.name < b.name ? -1 : 1))) {
      if (e.name.startsWith('.') || e.name === 'node_modules') continue;
      const c = r ? `${r}/${e.name}` : e.name;
      if (e.isDirectory()) walk(c);
      else if (/\.ya?ml$/.test(e.name)) {
        try {
          for (const o of y11(readFileSync(join(repo, c), 'utf8'))) out.push({ file: c, object: o });
        } catch {
          /* unreadable YAML: not an engine object */
        }
      }
    }
  };
  walk(norm(rel));
  return out;
}

const key = (o) => `${String(o.apiVersion ?? '').includes('/') ? String(o.apiVersion).split('/')[0] : ''}/${o.kind}/${o.metadata?.namespace ?? ''}/${o.metadata?.name}`;

/** The first path where two values differ, with both values; undefined when equal. */
function firstDifference(x, y, path) {
  if (x && y && typeof x === 'object' && typeof y === 'object' && Array.isArray(x) === Array.isArray(y)) {
    for (const k of [...new Set([...Object.keys(x), ...Object.keys(y)])].sort()) {
      const d = firstDifference(x[k], y[k], `${path}/${k}`);
      if (d) return d;
    }
    return undefined;
  }
  return JSON.stringify(x) === JSON.stringify(y) ? undefined : `${path || '/'}: engine ${JSON.stringify(x)?.slice(0, 200)}, hydrate ${JSON.stringify(y)?.slice(0, 200)}`;
}

function compare(expected, actual) {
  const e = new Map(expected.map((o) => [key(o), o]));
  const a = new Map(actual.map((o) => [key(o), o]));
  for (const [k, o] of e) {
    if (!a.has(k)) return `missing in Hydrate's output: ${k}`;
    const at = firstDifference(o, a.get(k), '');
    if (at) return `${k} at ${at}`;
  }
  for (const k of a.keys()) if (!e.has(k)) return `extra in Hydrate's output: ${k}`;
  return undefined;
}

/** A temporary copy of the repository (without .git): the dry tree is never written. */
function workCopy() {
  const dir = mkdtempSync(join(tmpdir(), 'engine-check-'));
  cpSync(repo, join(dir, 'repo'), { recursive: true, filter: (s) => !s.split('/').includes('.git') });
  return { dir, repo: join(dir, 'repo') };
}

const build = (dir, loadNone) => y11(execFileSync(kubectl, ['kustomize', ...(loadNone ? ['--load-restrictor', 'LoadRestrictionsNone'] : []), dir], { encoding: 'utf8', maxBuffer: 1 << 28, stdio: ['ignore', 'pipe', 'pipe'] }));

/** Flux's generator: every YAML file below `abs`, a sub-folder with a kustomization as one resource. */
function fluxGenerated(abs) {
  const resources = [];
  const walk = (d, rel) => {
    for (const e of readdirSync(d, { withFileTypes: true }).sort((a, b) => (a.name < b.name ? -1 : 1))) {
      const c = rel ? `${rel}/${e.name}` : e.name;
      if (e.isDirectory()) {
        if (e.name.startsWith('.')) continue;
        if (kfile(join(d, e.name))) resources.push(c);
        else walk(join(d, e.name), c);
      } else if (/\.ya?ml$/.test(e.name) && !KFILES.includes(e.name)) resources.push(c);
    }
  };
  walk(abs, '');
  return { apiVersion: 'kustomize.config.k8s.io/v1beta1', kind: 'Kustomization', resources };
}

function setImages(k, images) {
  const list = Array.isArray(k.images) ? k.images : [];
  for (const img of images ?? []) {
    const i = list.findIndex((x) => x.name === img.name);
    if (i >= 0) list[i] = img;
    else list.push(img);
  }
  if (list.length) k.images = list;
}

/** Plain-text `${var}` replacement (Flux's common forms), per object. */
function substitute(objects, vars, leaveUnknown) {
  const disabled = (o) => o.metadata?.labels?.['kustomize.toolkit.fluxcd.io/substitute'] === 'disabled' || o.metadata?.annotations?.['kustomize.toolkit.fluxcd.io/substitute'] === 'disabled';
  return objects.map((o) => {
    if (disabled(o)) return o;
    const text = YAML.stringify(o, { version: '1.1', lineWidth: 0 });
    const out = text.replace(/\$?\$\{([A-Za-z_][A-Za-z0-9_]*)(?:(:?[=-])([^}]*))?\}/g, (m, name, op, dflt) => {
      if (m.startsWith('$$')) return m.slice(1);
      const v = vars[name];
      if (v !== undefined && !(op?.startsWith(':') && v === '')) return v;
      // A source that cannot be read offline may define it: Hydrate leaves it as written.
      if (v === undefined && leaveUnknown) return m;
      return op !== undefined ? dflt : '';
    });
    return y11(out)[0];
  });
}

function checkFlux(entry, hydrate, results) {
  const start = norm(entry.path);
  const found = objectsBelow(start);
  const sources = new Set(['flux-system', ...(entry.flux?.sources ?? [])]);
  const clusterOf = (file) => {
    const direct = found.some((f) => posix.dirname(f.file) === start && f.object.kind === 'Kustomization');
    if (direct) return start;
    const rest = file.slice(start ? start.length + 1 : 0).split('/');
    return posix.join(start, rest[0]);
  };
  for (const f of found) {
    const o = f.object;
    if (o.kind !== 'Kustomization' || !String(o.apiVersion).startsWith('kustomize.toolkit.fluxcd.io/')) continue;
    const ns = o.metadata?.namespace ?? 'default';
    const id = `kubernetes:${f.file}#${ns}/${o.metadata?.name}`;
    const spec = o.spec ?? {};
    const res = { id, path: norm(spec.path) };
    results.push(res);
    const unit = hydrate.units.get(id);
    if (notRendered(res, unit, hydrate)) continue;
    if (o.apiVersion !== 'kustomize.toolkit.fluxcd.io/v1' || spec.sourceRef?.kind !== 'GitRepository' || !sources.has(spec.sourceRef?.name)) {
      res.outcome = 'differs';
      res.detail = `rendered by Hydrate, but its source ${spec.sourceRef?.kind}/${spec.sourceRef?.name} is not this repository`;
      continue;
    }
    const w = workCopy();
    try {
      const abs = join(w.repo, res.path);
      const existing = kfile(abs);
      const k = existing ? YAML.parse(readFileSync(existing, 'utf8'), { version: '1.1' }) ?? {} : fluxGenerated(abs);
      if (spec.targetNamespace) k.namespace = spec.targetNamespace;
      if (spec.namePrefix) k.namePrefix = spec.namePrefix;
      if (spec.nameSuffix) k.nameSuffix = spec.nameSuffix;
      if (spec.patches?.length) k.patches = [...(k.patches ?? []), ...spec.patches];
      if (spec.components?.length) {
        const comps = spec.ignoreMissingComponents ? spec.components.filter((c) => existsSync(join(abs, c))) : spec.components;
        k.components = [...(k.components ?? []), ...comps];
      }
      setImages(k, spec.images);
      if (existing) rmSync(existing);
      writeFileSync(join(abs, 'kustomization.yaml'), YAML.stringify(k));
      let objects = build(abs, true);
      const pb = spec.postBuild;
      if (pb && (pb.substitute || pb.substituteFrom)) {
        const vars = {};
        let unreadable = false;
        const cluster = clusterOf(f.file);
        for (const src of pb.substituteFrom ?? []) {
          if (src.kind !== 'ConfigMap') {
            unreadable = true;
            continue;
          }
          const cms = found.filter((c) => c.object.kind === 'ConfigMap' && c.object.metadata?.name === src.name && (c.object.metadata?.namespace ?? 'default') === ns);
          const cm = cms.find((c) => c.file.startsWith(`${cluster}/`)) ?? cms[0];
          if (!cm) {
            if (!src.optional) unreadable = true;
            continue;
          }
          for (const [n, v] of Object.entries(cm.object.data ?? {})) vars[n] = String(v).replace(/\n/g, '');
        }
        for (const [n, v] of Object.entries(pb.substitute ?? {})) vars[n] = String(v).replace(/\n/g, '');
        objects = substitute(objects, vars, unreadable);
      }
      const cmeta = spec.commonMetadata;
      if (cmeta) {
        for (const obj of objects) {
          obj.metadata ??= {};
          if (cmeta.labels) obj.metadata.labels = { ...(obj.metadata.labels ?? {}), ...cmeta.labels };
          if (cmeta.annotations) obj.metadata.annotations = { ...(obj.metadata.annotations ?? {}), ...cmeta.annotations };
        }
      }
      const localCharts = objects.filter((x) => x.kind === 'HelmRelease' && String(x.spec?.chart?.spec?.chart ?? '').startsWith('./'));
      if (localCharts.length) {
        res.outcome = 'skipped';
        res.detail = `renders HelmRelease(s) of a local chart (${localCharts.map((x) => x.metadata.name).join(', ')}): not a kustomize result`;
        continue;
      }
      compareUnit(res, objects, unit, hydrate);
    } catch (e) {
      res.outcome = 'differs';
      res.detail = `the engine's build fails: ${String(e.stderr || e.message).trim().split('\n')[0]}`;
    } finally {
      if (!keep) rmSync(w.dir, { recursive: true, force: true });
    }
  }
}

function compareUnit(res, expected, unit, hydrate) {
  const actual = unit.outputs.filter((p) => /\.ya?ml$/.test(p)).flatMap((p) => y11(readFileSync(join(unit.outRoot ?? hydrate.out, p), 'utf8')));
  // Emitted Kustomizations replace the ones a unit renders (docs: "Emitting the deploying objects").
  const engineObject = (o) =>
    (o.kind === 'Kustomization' && String(o.apiVersion).startsWith('kustomize.toolkit.fluxcd.io/')) || (['Application', 'ApplicationSet'].includes(o.kind) && String(o.apiVersion).startsWith('argoproj.io/'));
  const dropped = hydrate.emit ? expected.filter(engineObject) : [];
  const diff = compare(expected.filter((o) => !dropped.includes(o)), actual);
  res.objects = expected.length;
  res.outcome = diff ? 'differs' : 'equal';
  if (diff) res.detail = diff;
}

/** The repo-server's kustomize edits on an Application's kustomize source. */
function argoKustomize(k, kz) {
  if (kz.namePrefix) k.namePrefix = kz.namePrefix;
  if (kz.nameSuffix) k.nameSuffix = kz.nameSuffix;
  if (kz.namespace) k.namespace = kz.namespace;
  setImages(
    k,
    (kz.images ?? []).map((s) => {
      const m = /^(?:([^=]+)=)?([^:@]+?)(?::([^:@/]+))?(?:@(.+))?$/.exec(String(s));
      const [, from, name, tag, digest] = m ?? [];
      return { name: from ?? name, ...(from && name !== from ? { newName: name } : {}), ...(tag ? { newTag: tag } : {}), ...(digest ? { digest } : {}) };
    })
  );
  if (kz.replicas?.length) {
    const list = k.replicas ?? [];
    for (const r of kz.replicas) {
      const i = list.findIndex((x) => x.name === r.name);
      const v = { name: r.name, count: Number(r.count) };
      if (i >= 0) list[i] = v;
      else list.push(v);
    }
    k.replicas = list;
  }
  if (kz.commonLabels) {
    if (kz.labelWithoutSelector) k.labels = [...(k.labels ?? []), { pairs: kz.commonLabels }];
    else k.commonLabels = { ...(k.commonLabels ?? {}), ...kz.commonLabels };
  }
  if (kz.commonAnnotations) k.commonAnnotations = { ...(k.commonAnnotations ?? {}), ...kz.commonAnnotations };
  if (kz.patches?.length) k.patches = [...(k.patches ?? []), ...kz.patches];
  if (kz.components?.length) k.components = [...(k.components ?? []), ...kz.components];
}

function checkArgo(entry, hydrate, results) {
  const found = objectsBelow(norm(entry.path));
  const apps = found.filter((f) => f.object.kind === 'Application' && String(f.object.apiVersion).startsWith('argoproj.io/'));
  const named = new Set(apps.map((a) => `kubernetes:argocd#${a.object.metadata?.name}`));
  for (const a of apps) {
    const o = a.object;
    const id = `kubernetes:argocd#${o.metadata?.name}`;
    // One source, as `source` or as a one-entry `sources` list.
    const src = o.spec?.source ?? (Array.isArray(o.spec?.sources) && o.spec.sources.length === 1 ? o.spec.sources[0] : {});
    const res = { id, path: norm(src.path) };
    results.push(res);
    const unit = hydrate.units.get(id);
    if (notRendered(res, unit, hydrate)) continue;
    const w = workCopy();
    try {
      const abs = join(w.repo, res.path);
      let objects;
      if (existsSync(join(abs, 'Chart.yaml'))) {
        const h = src.helm ?? {};
        const a2 = ['template', h.releaseName ?? o.metadata.name, abs, '--namespace', o.spec?.destination?.namespace ?? 'default', ...(h.skipCrds ? ['--skip-crds'] : ['--include-crds'])];
        for (const f of h.valueFiles ?? []) a2.push('--values', join(abs, f));
        const inline = h.valuesObject ? YAML.stringify(h.valuesObject) : typeof h.values === 'string' ? h.values : undefined;
        if (inline) {
          writeFileSync(join(w.dir, 'inline-values.yaml'), inline);
          a2.push('--values', join(w.dir, 'inline-values.yaml'));
        }
        for (const p of h.parameters ?? []) a2.push(p.forceString ? '--set-string' : '--set', `${p.name}=${String(p.value).replace(/,/g, '\\,')}`);
        if (h.kubeVersion) a2.push('--kube-version', h.kubeVersion);
        for (const v of h.apiVersions ?? []) a2.push('--api-versions', v);
        objects = y11(execFileSync(helm, a2, { encoding: 'utf8', maxBuffer: 1 << 28, stdio: ['ignore', 'pipe', 'pipe'] }));
      } else if (kfile(abs)) {
        const kf = kfile(abs);
        const k = YAML.parse(readFileSync(kf, 'utf8'), { version: '1.1' }) ?? {};
        argoKustomize(k, src.kustomize ?? {});
        writeFileSync(kf, YAML.stringify(k));
        objects = build(abs, false);
      } else {
        const d = src.directory ?? {};
        const files = [];
        const walk = (dd, rel) => {
          for (const e of readdirSync(dd, { withFileTypes: true }).sort((x, z) => (x.name < z.name ? -1 : 1))) {
            const c = rel ? `${rel}/${e.name}` : e.name;
            if (e.isDirectory()) {
              if (d.recurse && !e.name.startsWith('.')) walk(join(dd, e.name), c);
            } else if (/\.(ya?ml|json)$/.test(e.name)) files.push(join(dd, e.name));
          }
        };
        walk(abs, '');
        if (d.include || d.exclude) {
          res.outcome = 'skipped';
          res.detail = 'directory include/exclude globs are not computed by this check';
          continue;
        }
        // Read by kustomize (Go's YAML, as the repo-server reads them: `.` is a string, not NaN).
        writeFileSync(join(abs, 'kustomization.yaml'), YAML.stringify({ resources: files.map((f) => f.slice(abs.length + 1)) }));
        objects = build(abs, true);
      }
      compareUnit(res, objects, unit, hydrate);
    } catch (e) {
      res.outcome = 'differs';
      res.detail = `the engine's build fails: ${String(e.stderr || e.message).trim().split('\n')[0]}`;
    } finally {
      if (!keep) rmSync(w.dir, { recursive: true, force: true });
    }
  }
  for (const [id, u] of hydrate.units) {
    if (id.startsWith('kubernetes:argocd#') && !named.has(id)) results.push({ id, path: u.dir, outcome: 'skipped', detail: 'generated by an ApplicationSet or an app-of-apps: not computed by this check' });
  }
}

/** Hydrate's render (of the whole repository, or of the units `--only` names) into `out`: its JSON report. */
function hydrateRender(out, only = []) {
  try {
    const stdout = execFileSync(
      process.execPath,
      [join(root, 'dist/cli.js'), 'render', '--repo', repo, '--config', config, '--out', out, '--json', '--allow-mass-deletion', ...only.flatMap((o) => ['--only', o])],
      { encoding: 'utf8', maxBuffer: 1 << 28, stdio: ['ignore', 'pipe', 'pipe'] }
    );
    return JSON.parse(stdout);
  } catch (e) {
    if (!e.stdout) throw e;
    return JSON.parse(e.stdout);
  }
}

const outDir = mkdtempSync(join(tmpdir(), 'engine-check-wet-'));
const report = hydrateRender(outDir);
if (!report.units) throw new Error(`hydrate render failed: ${JSON.stringify(report.errors)}`);
// A run with errors writes nothing: render each unit that did render again on its own.
if (!report.ok) {
  for (const u of report.units.filter((x) => x.status === 'rendered')) {
    u.outRoot = mkdtempSync(join(outDir, 'unit-'));
    const alone = hydrateRender(u.outRoot, [u.id]).units?.find((x) => x.id === u.id);
    if (alone) u.outputs = alone.outputs;
  }
}
const diags = [...(report.errors ?? []), ...(report.warnings ?? [])];
const hydrate = {
  out: outDir,
  units: new Map(report.units.map((u) => [u.id, u])),
  reasons: (id) => diags.filter((d) => d.unit === id).map((d) => d.message).join('; ') || (report.units.find((u) => u.id === id)?.errors ?? []).map((d) => d.message).join('; '),
  emit: false
};
const cfg = YAML.parse(readFileSync(config, 'utf8'));
const results = [];
for (const entry of cfg.kubernetes ?? []) {
  hydrate.emit = Boolean(entry.emit);
  if (entry.from === 'flux') checkFlux(entry, hydrate, results);
  else if (entry.from === 'argocd') checkArgo(entry, hydrate, results);
}
const totals = {};
for (const r of results) {
  totals[r.outcome] = (totals[r.outcome] ?? 0) + 1;
  console.log(`${r.outcome.padEnd(12)} ${r.id}${r.objects !== undefined ? ` (${r.objects} objects)` : ''}${r.detail ? `: ${r.detail}` : ''}`);
}
console.log(`units: ${results.length}; ${Object.entries(totals).map(([k, v]) => `${k} ${v}`).join(', ')}`);
if (!keep) rmSync(outDir, { recursive: true, force: true });
else console.log(`wet output kept in ${outDir}`);
process.exitCode = totals.differs ? 1 : 0;

/** Fills `res` for a unit Hydrate did not render (an error, or a unit it lists as unresolvable); false when it rendered. */
function notRendered(res, unit, hydrate) {
  if (unit && unit.status === 'rendered') return false;
  res.outcome = unit?.status === 'failed' || (unit?.errors ?? []).length > 0 ? 'error' : 'unresolvable';
  res.detail = hydrate.reasons(res.id) || (unit ? `status ${unit.status}` : 'no unit');
  return true;
}
