/**
 * Labels every synthesized object carries. `releaseSelector` is unique to the application and the
 * environment: the ops tool (ops/) prunes and uninstalls by it, so it must never match anything else.
 */
export const APP_NAME = 'todo';

export function releaseLabels(environment: string): Record<string, string> {
  return {
    'app.kubernetes.io/part-of': APP_NAME,
    'app.kubernetes.io/instance': `${APP_NAME}-${environment}`,
    'app.kubernetes.io/managed-by': 'cdk8s',
  };
}

/** `kubectl -l` selector for every object of one environment's release. */
export function releaseSelector(environment: string): string {
  const l = releaseLabels(environment);
  return `app.kubernetes.io/part-of=${l['app.kubernetes.io/part-of']},app.kubernetes.io/instance=${l['app.kubernetes.io/instance']}`;
}
