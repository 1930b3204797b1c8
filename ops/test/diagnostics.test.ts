/** describePod, on pod statuses as a real 1.33 API server reports them (seen on the node cluster). */
import { describePod } from '../src/diagnostics';

describe('describePod', () => {
  // A backend pod whose `migrate` init container is still retrying (the database not reachable
  // yet): kubelet reports the init container running with ready=false, the app container waiting.
  const initRunning = {
    status: {
      phase: 'Pending',
      initContainerStatuses: [{ name: 'migrate', ready: false, started: true, state: { running: { startedAt: '2026-11-23T19:13:47Z' } } }],
      containerStatuses: [{ name: 'backend', ready: false, started: false, state: { waiting: { reason: 'PodInitializing' } } }],
      conditions: [{ type: 'Initialized', status: 'False', reason: 'ContainersNotInitialized', message: 'containers with incomplete status: [migrate]' }],
    },
  };

  test('a running init container is reported as not finished, not as a failing readiness probe (regression)', () => {
    const lines = describePod(initRunning);
    expect(lines).toContain('  migrate: init container still running (not finished; its logs are below)');
    expect(lines.join('\n')).not.toMatch(/migrate: running, not ready/);
    expect(lines).toContain('  backend: waiting: PodInitializing');
  });

  test('a running app container that is not ready still points at its readiness probe', () => {
    const lines = describePod({ status: { containerStatuses: [{ name: 'backend', ready: false, state: { running: {} } }] } });
    expect(lines).toEqual(['  backend: running, not ready (readiness probe failing?)']);
  });

  test('a failed init container shows its exit code', () => {
    const lines = describePod({ status: { initContainerStatuses: [{ name: 'migrate', ready: false, state: { terminated: { reason: 'Error', exitCode: 1 } } }] } });
    expect(lines).toEqual(['  migrate: terminated: Error exit code 1']);
  });
});
