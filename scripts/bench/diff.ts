// Times diffWet + buildComment for a wet tree in which RESOURCES resources changed
// (default 10,000: 100 units of 100 Deployments each, one image and one label changed each; containers
// and ports are matched by their merge key, as in every diff).
// Prints one JSON line: {"resources":…, "changed":…, "diffMs":…, "commentMs":…, "totalMs":…, "commentChars":…}.
import { diffWet, type WetSnapshot } from '../../src/diff/wet-diff.js';
import { buildComment } from '../../src/report/comment.js';
import type { WetIndex } from '../../src/formats/wet-index.js';

const total = Number(process.env['RESOURCES'] ?? 10_000);
const perUnit = 100;
const units = Math.ceil(total / perUnit);

function deployment(unit: number, i: number, version: number): string {
  return [
    'apiVersion: apps/v1',
    'kind: Deployment',
    'metadata:',
    `  name: app-${i}`,
    `  namespace: team-${unit}`,
    '  labels:',
    `    app: app-${i}`,
    `    release: r${version}`,
    'spec:',
    '  replicas: 2',
    '  template:',
    '    spec:',
    '      containers:',
    `        - name: app-${i}`,
    `          image: registry.example.com/app-${i}:${version}.0.0`,
    '          ports:',
    '            - containerPort: 8080',
    ''
  ].join('\n');
}

function snapshot(version: number): WetSnapshot {
  const files = new Map<string, string>();
  const index: WetIndex = { version: 1, generator: 'bench', units: {} };
  let made = 0;
  for (let u = 0; u < units; u++) {
    const output = `clusters/prod/team-${u}`;
    const paths: string[] = [];
    for (let i = 0; i < perUnit && made < total; i++, made++) {
      const p = `${output}/deployment-app-${i}.yaml`;
      files.set(p, deployment(u, i, version));
      paths.push(p);
    }
    paths.sort();
    index.units[`kubernetes:apps/team-${u}/clusters/prod`] = {
      renderer: 'kubernetes',
      dir: `apps/team-${u}/clusters/prod`,
      coordinates: { team: `team-${u}`, cluster: 'prod' },
      output,
      paths,
      digest: `sha256:${version}`
    };
  }
  return { index, files };
}

const base = snapshot(1);
const head = snapshot(2);
const t0 = performance.now();
const report = diffWet(base, head);
const t1 = performance.now();
const comment = buildComment(report, { marker: 'bench', title: 'Hydrate diff' });
const t2 = performance.now();
process.stdout.write(
  `${JSON.stringify({ resources: total, changed: report.totals.changed, diffMs: Math.round(t1 - t0), commentMs: Math.round(t2 - t1), totalMs: Math.round(t2 - t0), commentChars: comment.length })}\n`
);
