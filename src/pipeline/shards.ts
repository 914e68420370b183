/**
 * Sharding across jobs. `shard: i/n` renders a deterministic share of the units whose renderer
 * renders each unit on its own (kubernetes), and saves the results as a shard file; `merge`
 * reads every shard file, checks that they are complete and were rendered from the same dry tree
 * and config as the merging job, and hands the results to the pipeline as if it had rendered
 * them itself. Renderers whose units depend on each other (terraform, secrets: in-process and
 * fast) render in the merge job. Pure: no I/O here (see adapters/shard-files.ts).
 */
import { createHash } from 'node:crypto';
import { hasErrors, type Diagnostic } from '../diagnostics.js';
import type { Unit } from '../dry/unit.js';
import type { Artifact, Provided, Required, UnitResult } from '../render/renderer.js';
import { SHARD_FORMAT, type LoadedShard, type ShardFile, type ShardResource, type ShardUnit } from '../formats/shard-file.js';
import type { SameType } from '../formats/schemas.js';
import { cmp, type KubeObject, type Resource } from '../resources/resource.js';
import { parseYamlDocuments, toCanonicalYaml } from '../resources/yaml.js';
import type { ShardSpec } from '../settings/shard.js';

/**
 * The units of shard `index` of `count`: the units of independent renderers, sorted by id, dealt
 * round-robin. Every job computes the same share from the same dry tree, config and `only`.
 */
export function assignShard(units: readonly Unit[], independent: ReadonlySet<string>, spec: ShardSpec): Unit[] {
  return units
    .filter((u) => independent.has(u.renderer))
    .sort((a, b) => cmp(a.id, b.id))
    .filter((_, k) => k % spec.count === spec.index - 1);
}

// The shard file carries units' results: its schema and the types of render/renderer.ts stay in step.
const _artifact: SameType<ShardUnit['artifacts'][number], Artifact> = true;
const _provided: SameType<NonNullable<ShardUnit['provides']>[number], Provided> = true;
const _required: SameType<NonNullable<ShardUnit['requires']>[number], Required> = true;
const _status: SameType<ShardUnit['status'], UnitResult['status']> = true;

/** True when JSON keeps the value exactly (no NaN, ±Infinity or -0, which YAML can hold). */
function jsonExact(v: unknown): boolean {
  if (typeof v === 'number') return Number.isFinite(v) && !Object.is(v, -0);
  if (Array.isArray(v)) return v.every(jsonExact);
  if (typeof v === 'object' && v !== null) return Object.values(v).every(jsonExact);
  return true;
}

function encodeResource(r: Resource): ShardResource {
  return jsonExact(r.object) ? { object: r.object, source: r.source } : { yaml: toCanonicalYaml(r.object), source: r.source };
}

function decodeResource(r: ShardResource, unit: string): Resource {
  if ('object' in r) return { object: r.object, unit, source: r.source };
  // Hydrate's own encoding of an object (not Kubernetes input): read back exactly, -0 included, as YAML 1.2.
  const doc = parseYamlDocuments(r.yaml, r.source.file ?? unit, unit, 'yaml-1.2').documents[0];
  return { object: (doc?.value ?? {}) as KubeObject, unit, source: r.source };
}

export interface BuildShardInput {
  spec: ShardSpec;
  generator: string;
  configDigest: string;
  dryCommit?: string;
  runId?: string;
  assigned: readonly Unit[];
  results: readonly UnitResult[];
  /** Units whose output a policy check rejected: saved as failed, without their resources. */
  rejected: ReadonlySet<string>;
}

/** The shard file for this job's results. Failed and rejected units carry no resources. */
export function buildShardFile(input: BuildShardInput): ShardFile {
  const units: ShardUnit[] = [...input.results]
    .sort((a, b) => cmp(a.unit.id, b.unit.id))
    .map((r) => {
      const failed = r.status === 'failed' || input.rejected.has(r.unit.id);
      // The pipeline adds the gate's errors to the unit's diagnostics; a caller that does not must
      // still say why the unit failed, or the merge would publish without it and drop its files.
      const rejection: Diagnostic[] =
        input.rejected.has(r.unit.id) && !hasErrors(r.diagnostics)
          ? [
              {
                severity: 'error',
                unit: r.unit.id,
                message: `plaintext Secret in unit ${r.unit.id}: the secrets policy rejected its output in shard ${input.spec.index}/${input.spec.count}, which did not save it (that job's log names the Secret): secrets must not be committed; use an ExternalSecret (a SecretsClaim) or a Vault placeholder, or allow-list it in policy.allowSecrets with a reason`
              }
            ]
          : [];
      return {
        id: r.unit.id,
        status: failed ? 'failed' : r.status,
        digest: r.digest,
        ...(r.volatile ? { volatile: true } : {}),
        resources: failed || r.status === 'reused' ? [] : r.resources.map(encodeResource),
        artifacts: failed || r.status === 'reused' ? [] : r.artifacts,
        diagnostics: [...r.diagnostics, ...rejection],
        ...(r.provides ? { provides: r.provides } : {}),
        ...(r.requires ? { requires: r.requires } : {})
      };
    });
  return {
    format: SHARD_FORMAT,
    generator: input.generator,
    shard: { index: input.spec.index, count: input.spec.count },
    configDigest: input.configDigest,
    ...(input.dryCommit ? { dryCommit: input.dryCommit } : {}),
    ...(input.runId ? { runId: input.runId } : {}),
    assigned: input.assigned.map((u) => u.id).sort(cmp),
    units
  };
}

export interface MergeExpectation {
  generator: string;
  configDigest: string;
  dryCommit?: string;
  /** This run's id: shard files must carry the same (none when neither has one). */
  runId?: string;
  /** The units of independent renderers this run selected. */
  units: readonly Unit[];
  independent: ReadonlySet<string>;
}

/**
 * Checks that the shard files make one complete, consistent set for this run: same Hydrate
 * version, config and dry commit; every shard of the count exactly once; each dealt the units
 * this run deals it. Returns the shard entries by unit id, and every problem found.
 */
export function collectShards(
  shards: readonly LoadedShard[],
  expect: MergeExpectation
): { entries: Map<string, { shard: LoadedShard; unit: ShardUnit }>; diagnostics: Diagnostic[] } {
  const diagnostics: Diagnostic[] = [];
  const entries = new Map<string, { shard: LoadedShard; unit: ShardUnit }>();
  // Shard files live outside the repository: they are named in the message, not as `file`.
  const error = (message: string, file?: string): void => {
    diagnostics.push({ severity: 'error', message: file ? `${message} [${file}]` : message });
  };
  if (shards.length === 0) {
    error('merge found no shard files: download every shard job\'s artifact into the shard directory first');
    return { entries, diagnostics };
  }
  const counts = [...new Set(shards.map((s) => s.data.shard.count))].sort((a, b) => a - b);
  if (counts.length > 1) error(`shard files disagree on the shard count (${counts.join(', ')}): they come from different runs`);
  const count = Math.max(...counts);
  const byIndex = new Map<number, LoadedShard>();
  for (const s of shards) {
    const d = s.data;
    const name = `shard ${d.shard.index}/${d.shard.count}`;
    if (d.generator !== expect.generator) error(`${name} was rendered by ${d.generator}, this job runs ${expect.generator}`, s.file);
    if (d.configDigest !== expect.configDigest) error(`${name} was rendered with a different config file than this job's`, s.file);
    if ((d.dryCommit ?? '') !== (expect.dryCommit ?? '')) {
      error(`${name} was rendered from dry commit ${d.dryCommit ?? '(none given)'}, this job has ${expect.dryCommit ?? '(none given)'}`, s.file);
    }
    if ((d.runId ?? '') !== (expect.runId ?? '')) {
      error(
        `${name} was rendered by workflow run ${d.runId ?? '(none given)'}, this merge is run ${expect.runId ?? '(none given)'}: a merge takes shard files of its own run only (download the artifacts of this run)`,
        s.file
      );
    }
    if (d.shard.index > d.shard.count) error(`${name}: index greater than the count`, s.file);
    const seen = byIndex.get(d.shard.index);
    if (seen && d.shard.count === count) error(`${name} appears twice (${seen.file} and ${s.file})`, s.file);
    else if (d.shard.count === count) byIndex.set(d.shard.index, s);
  }
  for (let i = 1; i <= count; i++) {
    if (!byIndex.has(i)) error(`shard ${i}/${count} is missing: its job failed to save its shard file, or the artifact was not downloaded`);
  }
  if (hasErrors(diagnostics)) return { entries, diagnostics };

  for (const [index, s] of byIndex) {
    const expected = assignShard(expect.units, expect.independent, { index, count }).map((u) => u.id);
    const got = s.data.assigned;
    const onlyThere = got.filter((id) => !expected.includes(id));
    const onlyHere = expected.filter((id) => !got.includes(id));
    if (onlyThere.length > 0 || onlyHere.length > 0) {
      const detail = [
        onlyThere.length > 0 ? `dealt there but not here: ${sample(onlyThere)}` : '',
        onlyHere.length > 0 ? `dealt here but not there: ${sample(onlyHere)}` : ''
      ].filter(Boolean);
      error(
        `shard ${index}/${count} was dealt other units than this job deals it (${detail.join('; ')}): run the shards and the merge on the same commit, config and \`only\``,
        s.file
      );
      continue;
    }
    const byId = new Map(s.data.units.map((u) => [u.id, u]));
    for (const id of got) {
      const unit = byId.get(id);
      if (!unit) error(`shard ${index}/${count} has no result for unit ${id}`, s.file);
      else entries.set(id, { shard: s, unit });
    }
  }
  return { entries, diagnostics };
}

function sample(ids: readonly string[]): string {
  return ids.length <= 3 ? ids.join(', ') : `${ids.slice(0, 3).join(', ')} and ${ids.length - 3} more`;
}

/** The pipeline's result for a unit a shard rendered (or failed to render). */
export function shardUnitResult(entry: ShardUnit, unit: Unit): UnitResult {
  const diagnostics = entry.diagnostics.map((d) => ({ ...d })) as Diagnostic[];
  // A failed unit must fail the merge: without an error it would be published as gone.
  if (entry.status === 'failed' && !hasErrors(diagnostics)) {
    diagnostics.push({ severity: 'error', unit: unit.id, message: `unit ${unit.id} failed in its shard job without an error: see that job's log` });
  }
  return {
    unit,
    status: entry.status === 'failed' ? 'failed' : 'rendered',
    resources: entry.resources.map((r) => decodeResource(r, unit.id)),
    artifacts: entry.artifacts,
    diagnostics,
    digest: entry.digest,
    ...(entry.volatile ? { volatile: true } : {}),
    ...(entry.provides ? { provides: entry.provides } : {}),
    ...(entry.requires ? { requires: entry.requires } : {})
  };
}

/**
 * The units whose shard results the merge renders again itself: at least one per shard (of those
 * a shard rendered), then the rest up to `count` — chosen by a hash of `seed` and the unit id, so
 * that a shard job cannot know in advance which of its units will be checked (the merge draws a
 * random seed). `count` 0 chooses none.
 */
export function chooseVerificationSample(rendered: ReadonlyMap<string, number>, count: number, seed: string): string[] {
  if (count <= 0 || rendered.size === 0) return [];
  const key = (id: string): string => createHash('sha256').update(seed).update('\0').update(id).digest('hex');
  const ordered = [...rendered.keys()].map((id) => ({ id, key: key(id) })).sort((a, b) => cmp(a.key, b.key) || cmp(a.id, b.id));
  const chosen = new Set<string>();
  const shardsSeen = new Set<number>();
  for (const { id } of ordered) {
    const shard = rendered.get(id)!;
    if (!shardsSeen.has(shard)) {
      shardsSeen.add(shard);
      chosen.add(id);
    }
  }
  for (const { id } of ordered) {
    if (chosen.size >= count) break;
    chosen.add(id);
  }
  return [...chosen].sort(cmp);
}

/** What a unit's result is made of, in a form two renders of the same inputs give byte for byte. */
function fingerprint(r: Pick<UnitResult, 'status' | 'resources' | 'artifacts'>): { status: string; objects: string[]; artifacts: string[] } {
  return {
    status: r.status === 'failed' ? 'failed' : 'rendered',
    objects: r.resources.map((x) => toCanonicalYaml(x.object)),
    artifacts: r.artifacts.map((a) => JSON.stringify([a.path, a.content]))
  };
}

/**
 * Compares a shard's result for a unit with the merge's own render of it; returns what differs,
 * or undefined when they are the same (status, every object, every extra artifact, in order).
 */
export function shardResultDifference(fromShard: Pick<UnitResult, 'status' | 'resources' | 'artifacts'>, own: Pick<UnitResult, 'status' | 'resources' | 'artifacts'>): string | undefined {
  const a = fingerprint(fromShard);
  const b = fingerprint(own);
  if (a.status !== b.status) return `the shard says ${a.status}, this job's render ${b.status}`;
  if (a.objects.length !== b.objects.length) return `the shard has ${a.objects.length} object(s), this job's render ${b.objects.length}`;
  const i = a.objects.findIndex((o, k) => o !== b.objects[k]);
  if (i >= 0) {
    const obj = own.resources[i]?.object;
    const meta = obj && typeof obj['metadata'] === 'object' && obj['metadata'] !== null ? (obj['metadata'] as Record<string, unknown>) : {};
    return `object #${i + 1} (${String(obj?.['kind'] ?? '?')} ${String(meta['name'] ?? '?')}) differs`;
  }
  if (a.artifacts.length !== b.artifacts.length || a.artifacts.some((x, k) => x !== b.artifacts[k])) return 'the extra artifacts differ';
  return undefined;
}
