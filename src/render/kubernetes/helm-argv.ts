/**
 * What a release file may place on helm's command line. `helmTemplateArgs` already writes every
 * option as `--name=value` and puts the release name and chart after `--`; these checks refuse,
 * at the release file's line, the values that would still change what helm does: a chart
 * reference that is an option (`--post-renderer=./evil.sh`), an absolute path or a `file://` URL
 * (a chart outside the repository), a name with a `.git` segment in any case (git's own folder),
 * a repository that is not an HTTP(S) URL, and `set` names that would start another assignment.
 */
import { isGitSegment } from '../../dry/path-safety.js';
import type { HelmRelease } from './helm-release.js';
import { isLocalChart } from './helm-release.js';

export interface ArgvProblem {
  /** Path of the offending field in the release file. */
  path: (string | number)[];
  message: string;
}

// eslint-disable-next-line no-control-regex
const CONTROL = /[\u0000-\u001f\u007f]/;
/** `name` (with `repository`) or `repo/name` (a repository added with `helm repo add`). */
const CHART_NAME = /^[A-Za-z0-9][A-Za-z0-9_.-]*(\/[A-Za-z0-9][A-Za-z0-9_.-]*)?$/;
const REMOTE_CHART = /^(oci|https?):\/\/[^\s/]+\/\S*$/;
const REPOSITORY = /^https?:\/\/[^\s/]+(\/\S*)?$/;
const SET_NAME = /^[A-Za-z0-9_[\]\\][^=,\s]*$/;

const CHART_FORMS = 'use ./path or ../path (a chart in the repository), name with `repository`, repo/name, oci://… or https://…';

/** Problems with the values of `release` that go on helm's argv; empty when all are safe. */
export function helmArgvProblems(release: Pick<HelmRelease, 'chart' | 'repository' | 'set'>): ArgvProblem[] {
  const out: ArgvProblem[] = [];
  const chart = release.chart;
  if (CONTROL.test(chart)) out.push({ path: ['chart'], message: `chart holds a control character: ${CHART_FORMS}` });
  else if (chart.startsWith('-')) {
    out.push({ path: ['chart'], message: `chart ${JSON.stringify(chart)} starts with "-" and would be read by helm as an option: ${CHART_FORMS}` });
  } else if (!isLocalChart(chart) && !REMOTE_CHART.test(chart)) {
    // helm reads a reference naming an existing path as a local chart: say what is wrong with
    // such a path before the general form.
    const gitSegment = chart.split('/').find(isGitSegment);
    if (chart.startsWith('/')) {
      out.push({ path: ['chart'], message: `chart ${chart} is an absolute path: a local chart is written relative to the release file (./ or ../) and stays inside the repository` });
    } else if (gitSegment !== undefined) {
      out.push({ path: ['chart'], message: `chart ${JSON.stringify(chart)} names \`${gitSegment}\`: git's own folder is never read or written` });
    } else if (!CHART_NAME.test(chart) || chart.split('/').some((s) => s === '..' || s === '.')) {
      out.push({ path: ['chart'], message: `chart ${JSON.stringify(chart)} is not a chart reference Hydrate renders: ${CHART_FORMS}` });
    }
  }
  if (release.repository !== undefined && (CONTROL.test(release.repository) || !REPOSITORY.test(release.repository))) {
    out.push({ path: ['repository'], message: `repository ${JSON.stringify(release.repository)} must be an http:// or https:// chart repository URL` });
  }
  for (const [i, s] of release.set.entries()) {
    if (CONTROL.test(s.name) || !SET_NAME.test(s.name)) {
      out.push({
        path: ['set', i, 'name'],
        message: `set name ${JSON.stringify(s.name)} is not a value path: it must not start with "-" nor hold "=", "," or spaces`
      });
    }
  }
  return out;
}
