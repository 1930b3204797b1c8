import type { Ctx } from '../context';
import { deployCommand, diffCommand, historyCommand, imageScanCommand, preflightCommand, rollbackCommand, smokeCommand, statusCommand } from './cluster';
import { helmChartCommand } from './helm-chart';
import { secretsCommand } from './secrets';
import { uninstallCommand } from './uninstall';

export const HANDLERS: Record<string, (ctx: Ctx) => number> = {
  preflight: preflightCommand,
  diff: diffCommand,
  deploy: deployCommand,
  smoke: smokeCommand,
  status: statusCommand,
  history: historyCommand,
  rollback: rollbackCommand,
  uninstall: uninstallCommand,
  secrets: secretsCommand,
  'image-scan': imageScanCommand,
  'helm-chart': helmChartCommand,
};
