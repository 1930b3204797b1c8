/**
 * Synthesizing one environment into a fresh temporary directory with the project's own synth
 * (`node scripts/synth.mjs --env NAME --outdir DIR`: the esbuild bundle, well under a second).
 * The TODO_* override variables (image tag, registry, ...) pass through the environment.
 */
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { OpsError } from './errors';
import { readManifests, type Manifests } from './manifests';

export interface Synthesizer {
  synth(envName: string): Manifests;
  /** A fresh temporary directory (removed by cleanup()). */
  tempDir(prefix: string): string;
  cleanup(): void;
}

export const REPO_ROOT = path.resolve(__dirname, '..', '..');

export class ScriptSynthesizer implements Synthesizer {
  private readonly dirs: string[] = [];
  constructor(private readonly root = REPO_ROOT) {}

  tempDir(prefix: string): string {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), prefix));
    this.dirs.push(dir);
    return dir;
  }

  synth(envName: string): Manifests {
    const out = this.tempDir('todo-ops-synth-');
    const r = spawnSync(process.execPath, [path.join(this.root, 'scripts', 'synth.mjs'), '--env', envName, '--outdir', out], {
      cwd: this.root,
      encoding: 'utf8',
      env: { ...process.env, TODO_SYNTH_QUIET: '1' },
    });
    if (r.error || r.status !== 0) {
      const detail = (r.stderr || r.error?.message || '').trim();
      throw new OpsError(`synth of ${envName} failed: ${detail.replace(/^synth: /, '')}`);
    }
    return readManifests(path.join(out, envName));
  }

  cleanup(): void {
    for (const d of this.dirs.splice(0)) fs.rmSync(d, { recursive: true, force: true });
  }
}
