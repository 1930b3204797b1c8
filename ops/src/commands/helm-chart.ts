/** helm-chart: the environment as a Helm chart (see helm-chart.ts). Does not touch the cluster. */
import fs from 'node:fs';
import path from 'node:path';
import type { Ctx } from '../context';
import { buildChart, DEFAULT_CHART_OUTDIR, PREREQUISITES_FILE, writeChart } from '../helm-chart';
import { readManifests } from '../manifests';
import { gitRevision } from '../release';
import { REPO_ROOT } from '../synth';

export function helmChartCommand(ctx: Ctx): number {
  const from = ctx.args.flags.from;
  ctx.log.step(typeof from === 'string' ? `reading ${from}` : `synthesizing ${ctx.env.name}`);
  const manifests = typeof from === 'string' ? readManifests(path.resolve(from)) : ctx.synthesizer.synth(ctx.env.name);
  const { version } = JSON.parse(fs.readFileSync(path.join(REPO_ROOT, 'package.json'), 'utf8')) as { version: string };
  const chart = buildChart({ env: ctx.env, manifests, version, appVersion: gitRevision(ctx) });
  const outdir = typeof ctx.args.flags.outdir === 'string' ? path.resolve(ctx.args.flags.outdir) : path.join(REPO_ROOT, DEFAULT_CHART_OUTDIR);
  const dir = writeChart(chart, outdir);
  const rel = path.relative(process.cwd(), dir) || dir;
  ctx.log.out(
    `wrote ${rel}: chart ${chart.name} ${version}, ${chart.objectCount} objects, the smoke test as a helm test hook, images ${Object.keys(chart.images).join(', ')}` +
      (chart.prerequisites.length
        ? `; outside the chart (${path.join(rel, PREREQUISITES_FILE)}): ${chart.prerequisites.map((o) => `${o.kind}/${o.metadata.name}`).join(', ')}`
        : ''),
  );
  return 0;
}
