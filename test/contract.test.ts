/** The manifests use exactly the contract's ports, probe paths and environment variable names. */
import { BACKEND, BACKEND_ENV, FRONTEND, FRONTEND_ENV, loadEnv, MIGRATE_ENV, SECRET_KEYS, type EnvVarSpec, type TierContract } from '@todo/contract';
import { ALL, ofKind, podSpec, synth } from './helpers';

const TIERS: [TierContract, Record<string, EnvVarSpec>][] = [
  [BACKEND, BACKEND_ENV],
  [FRONTEND, FRONTEND_ENV],
];

describe.each(ALL)('environment %s', (name) => {
  const s = synth(name);
  const configMaps = new Map(ofKind(s, 'ConfigMap').map((c) => [c.metadata.name, c.data as Record<string, string>]));

  describe.each(TIERS)('%o', (tier, specs) => {
    const deployment = ofKind(s, 'Deployment').find((d) => d.spec.template.metadata.labels['app.kubernetes.io/component'] === tier.component)!;
    const pod = podSpec(deployment);
    const main = pod.containers.find((c: any) => c.name === tier.component);
    const declared = new Map(Object.values(specs).map((v) => [v.name, v]));

    test('container port and probes are the contract\'s', () => {
      expect(main.ports).toEqual([{ name: tier.portName, containerPort: tier.port, protocol: 'TCP' }]);
      expect(main.livenessProbe.httpGet).toEqual({ path: tier.livenessPath, port: tier.port, scheme: 'HTTP' });
      expect(main.readinessProbe.httpGet).toEqual({ path: tier.readinessPath, port: tier.port, scheme: 'HTTP' });
      expect([tier.livenessPath, tier.readinessPath]).toContain(main.startupProbe.httpGet.path);
      expect(main.startupProbe.httpGet.port).toBe(tier.port);
      const svc = ofKind(s, 'Service').find((x) => x.metadata.name === deployment.metadata.name)!;
      expect(svc.spec.ports[0].targetPort).toBe(tier.port);
    });

    test('every env var the main container sets is declared, secret ones come from a Secret, the rest from the ConfigMap', () => {
      for (const c of pod.containers) {
        for (const e of c.env) {
          const spec = declared.get(e.name);
          expect(spec).toBeDefined();
          if (spec!.secret) expect(e.valueFrom.secretKeyRef).toBeDefined();
          else expect(e.valueFrom.configMapKeyRef).toBeDefined();
        }
      }
    });

    test('every required variable without a default is set, and the values parse with the app\'s own loadEnv', () => {
      const set = new Set(main.env.map((e: any) => e.name));
      for (const spec of declared.values()) if (!spec.optional && spec.default === undefined) expect(set).toContain(spec.name);
      // Resolve the ConfigMap-backed values and stand in for the Secret ones, then parse as the app does.
      const source: Record<string, string> = {};
      for (const e of main.env) {
        const cm = e.valueFrom.configMapKeyRef;
        source[e.name] = cm ? configMaps.get(cm.name)![cm.key] : e.name === 'DATABASE_URL' ? 'postgres://u:p@db:5432/todo' : 'x'.repeat(40);
      }
      const parsed = loadEnv(specs, source) as Record<string, unknown>;
      expect(parsed.port).toBe(tier.port);
      expect(parsed.shutdownDelaySeconds).toBe(0);
    });
  });

  test('the backend runs the contract\'s migration command first, with the same image and only the variables it reads (no signing secret)', () => {
    const d = ofKind(s, 'Deployment').find((x) => x.metadata.name === 'todo-backend')!;
    const [init] = podSpec(d).initContainers;
    const [main] = podSpec(d).containers;
    expect(init.command).toEqual(BACKEND.migrateCommand);
    expect(init.image).toBe(main.image);
    const declared = new Map(Object.values(MIGRATE_ENV).map((v) => [v.name, v]));
    const source: Record<string, string> = {};
    for (const e of init.env) {
      const spec = declared.get(e.name);
      expect([e.name, spec !== undefined]).toEqual([e.name, true]);
      if (spec!.secret) expect(e.valueFrom.secretKeyRef).toEqual({ name: 'todo-secrets', key: SECRET_KEYS.migrationDatabaseUrl });
      else expect(e.valueFrom.configMapKeyRef).toBeDefined();
      const cm = e.valueFrom.configMapKeyRef;
      source[e.name] = cm ? configMaps.get(cm.name)![cm.key] : 'postgres://owner:p@db:5432/todo';
    }
    expect(init.env.map((e: any) => e.name)).not.toContain(BACKEND_ENV.jwtSecret.name);
    const parsed = loadEnv(MIGRATE_ENV, source);
    expect(parsed.lockTimeoutSeconds).toBeGreaterThan(0);
    expect(parsed.connectDeadlineSeconds).toBeGreaterThan(0);
  });
});
