/**
 * Time limits of a run (`policy.timeouts`): no unit renders longer than `unitSeconds` and no run
 * renders longer than `runSeconds`. Every process a unit starts gets at most the time left until
 * the nearer of the two deadlines (and is killed then); a unit that ran out of time fails with an
 * error naming the limit, and units not started before the run's deadline fail the same way.
 */
import type { Diagnostic } from '../diagnostics.js';
import type { Unit } from '../dry/unit.js';
import type { ProcessRunner } from '../ports.js';
import type { Settings } from '../settings/settings.js';

export interface RunClock {
  unitMs: number;
  runMs: number;
  /** Epoch ms after which nothing more may start. */
  runDeadline: number;
}

const DEFAULT_UNIT_SECONDS = 300;
const DEFAULT_RUN_SECONDS = 3600;

export function startClock(settings: Settings, now = Date.now()): RunClock {
  const t = (settings.config.policy as { timeouts?: { unitSeconds?: number; runSeconds?: number } }).timeouts;
  const unitMs = (t?.unitSeconds ?? DEFAULT_UNIT_SECONDS) * 1000;
  const runMs = (t?.runSeconds ?? DEFAULT_RUN_SECONDS) * 1000;
  return { unitMs, runMs, runDeadline: now + runMs };
}

/** A runner whose processes are killed at `deadline` at the latest (and not started after it). */
export function runnerUntil(exec: ProcessRunner, deadline: number): ProcessRunner {
  const limited: ProcessRunner = {
    which: (command) => exec.which(command),
    run(command, args, options = {}) {
      const left = deadline - Date.now();
      if (left <= 0) return Promise.reject(new Error(`${command} was not started: the time limit was reached`));
      return exec.run(command, args, { ...options, timeoutMs: Math.min(options.timeoutMs ?? left, left) });
    }
  };
  // Everything else the runner offers (helm's and kustomize's work directories) stays available.
  if (exec.workDir) limited.workDir = (copy, write) => exec.workDir!(copy, write);
  return limited;
}

function seconds(ms: number): string {
  return ms % 60_000 === 0 ? `${ms / 60_000} min` : `${ms / 1000} s`;
}

/** The error of a unit that ran out of time: which limit, and how to raise it. */
export function timeLimitError(unit: Unit, clock: RunClock, which: 'unit' | 'run'): Diagnostic {
  const message =
    which === 'unit'
      ? `unit ${unit.id} took longer than the per-unit time limit of ${seconds(clock.unitMs)} and was stopped: make it lighter or raise policy.timeouts.unitSeconds`
      : `unit ${unit.id} was stopped (or never started): the run reached its time limit of ${seconds(clock.runMs)}; raise policy.timeouts.runSeconds or render fewer units per run (only, shards)`;
  return { severity: 'error', unit: unit.id, message };
}
