import { SECRET_KEYS, SHUTDOWN, IMAGE_REPOSITORIES } from '@todo/contract';
import { ALL, allContainers, matches, ofKind, podSpec, synth, workloads, TEST_TAG, type K8sObject } from './helpers';
import { releaseLabels } from '../charts/labels';
import { createHash } from 'node:crypto';
import { ApiObject } from 'cdk8s';
import { ENVIRONMENTS, resolveConfig } from '../charts/config';
import { buildApp } from '../charts/synth';
import { KEPT_DIR } from '../charts/todo';

describe.each(ALL)('environment %s', (name) => {
  const s = synth(name);

  test('snapshot', () => {
    expect(s.files).toMatchSnapshot();
  });

  test('files apply in order: Namespace first, ServiceAccounts/ConfigMaps before workloads', () => {
    const names = Object.keys(s.files);
    expect(names).toEqual([...names].sort());
    expect(s.files[names[0]].map((o) => o.kind)).toEqual(['Namespace']);
    // what must outlive the application (the Namespace) is alone in a folder `kubectl delete -f dist/<env>/` does not read
    expect(names.filter((n) => n.startsWith(`${KEPT_DIR}/`))).toEqual([names[0]]);
    expect(names.slice(1).every((n) => !n.includes('/'))).toBe(true);
    const firstWorkloadFile = names.findIndex((n) => s.files[n].some((o) => o.kind === 'Deployment'));
    for (const kind of ['ConfigMap', 'ServiceAccount', 'NetworkPolicy']) {
      const idx = names.findIndex((n) => s.files[n].some((o) => o.kind === kind));
      expect(idx).toBeGreaterThan(0);
      expect(idx).toBeLessThan(firstWorkloadFile);
    }
  });

  test('every object carries the release labels and lives in the namespace', () => {
    for (const o of s.objects) {
      expect(o.metadata.labels).toMatchObject(releaseLabels(name));
      if (o.kind !== 'Namespace') expect(o.metadata.namespace).toBe(s.env.namespace);
    }
  });

  test('Namespace enforces, audits and warns Pod Security Admission restricted, pinned to Kubernetes 1.33', () => {
    const [ns] = ofKind(s, 'Namespace');
    for (const mode of ['enforce', 'audit', 'warn']) {
      expect(ns.metadata.labels![`pod-security.kubernetes.io/${mode}`]).toBe('restricted');
      expect(ns.metadata.labels![`pod-security.kubernetes.io/${mode}-version`]).toBe('v1.33');
    }
  });

  test('no field the API server drops when it stores the object (a client-side apply would never report "unchanged")', () => {
    for (const w of workloads(s)) {
      expect(w.spec.minReadySeconds).toBeUndefined();
      expect(podSpec(w).hostNetwork).toBeUndefined();
    }
    for (const svc of ofKind(s, 'Service')) expect(svc.spec.externalIPs).toBeUndefined();
    // an empty `ports` list in a policy rule (all ports) is stored as absent
    for (const p of ofKind(s, 'NetworkPolicy')) for (const r of [...(p.spec.ingress ?? []), ...(p.spec.egress ?? [])]) expect(r.ports).not.toEqual([]);
    // the StatefulSet's claim templates as the API server stores them (the list is compared as a whole)
    for (const sts of ofKind(s, 'StatefulSet')) {
      for (const t of sts.spec.volumeClaimTemplates) {
        expect(t).toMatchObject({ apiVersion: 'v1', kind: 'PersistentVolumeClaim', metadata: { creationTimestamp: null }, spec: { volumeMode: 'Filesystem' }, status: { phase: 'Pending' } });
      }
    }
    // quantities in the form the API server stores them
    const quantities = JSON.stringify(s.objects).match(/"(cpu|memory|ephemeral-storage|storage)":"[^"]+"/g) ?? [];
    expect(quantities.length).toBeGreaterThan(0);
    for (const q of quantities) expect(q).not.toMatch(/"(1000m|1024Mi|[0-9]+000m)"/);
  });

  test('each Service selects the pods of exactly one workload, and targetPort names a container port', () => {
    for (const svc of ofKind(s, 'Service')) {
      const selected = workloads(s).filter((w) => matches(svc.spec.selector, w.spec.template.metadata.labels));
      expect(selected).toHaveLength(1);
      const ports = podSpec(selected[0]).containers.flatMap((c: any) => c.ports ?? []);
      for (const p of svc.spec.ports) {
        const target = ports.find((cp: any) => cp.name === p.targetPort || cp.containerPort === p.targetPort);
        expect(target).toBeDefined();
      }
      // the workload's selector picks the pods of its template
      expect(matches(selected[0].spec.selector.matchLabels, selected[0].spec.template.metadata.labels)).toBe(true);
    }
  });

  test('each HTTPRoute backend names an existing Service and one of its ports; every route names its parent and hosts', () => {
    for (const route of ofKind(s, 'HTTPRoute')) {
      expect(route.spec.parentRefs.length).toBeGreaterThan(0);
      for (const ref of route.spec.parentRefs) expect(ref).toMatchObject({ group: 'gateway.networking.k8s.io', kind: 'Gateway', name: expect.any(String), sectionName: expect.any(String) });
      for (const rule of route.spec.rules) {
        for (const b of rule.backendRefs ?? []) {
          expect(b).toMatchObject({ group: '', kind: 'Service', weight: 1 }); // the API server's defaults, written out
          const svc = ofKind(s, 'Service').find((x) => x.metadata.name === b.name);
          expect(svc!.spec.ports.some((sp: any) => sp.port === b.port)).toBe(true);
        }
      }
    }
  });

  test('TLS on a shared Gateway: the Certificate names the route\'s hosts, and the ReferenceGrant lets the Gateway\'s namespace read its Secret', () => {
    for (const cert of ofKind(s, 'Certificate')) {
      const route = ofKind(s, 'HTTPRoute')[0];
      expect(cert.spec.dnsNames).toEqual(route.spec.hostnames);
      const grant = ofKind(s, 'ReferenceGrant')[0];
      expect(grant.spec.to).toEqual([{ group: '', kind: 'Secret', name: cert.spec.secretName }]);
      expect(grant.spec.from).toEqual([{ group: 'gateway.networking.k8s.io', kind: 'Gateway', namespace: route.spec.parentRefs[0].namespace }]);
    }
  });

  test('each Ingress backend names an existing Service and one of its ports', () => {
    for (const ing of ofKind(s, 'Ingress')) {
      for (const rule of ing.spec.rules) {
        for (const path of rule.http.paths) {
          const svc = ofKind(s, 'Service').find((x) => x.metadata.name === path.backend.service.name);
          expect(svc).toBeDefined();
          const p = path.backend.service.port;
          expect(svc!.spec.ports.some((sp: any) => sp.name === p.name || sp.port === p.number)).toBe(true);
        }
      }
    }
  });

  test('each HPA targets an existing Deployment whose containers have CPU and memory requests', () => {
    for (const hpa of ofKind(s, 'HorizontalPodAutoscaler')) {
      expect(hpa.apiVersion).toBe('autoscaling/v2');
      const d = ofKind(s, 'Deployment').find((x) => x.metadata.name === hpa.spec.scaleTargetRef.name);
      expect(d).toBeDefined();
      expect(hpa.spec.scaleTargetRef.kind).toBe('Deployment');
      expect(d!.spec.replicas).toBeUndefined(); // the HPA owns the count
      for (const c of podSpec(d!).containers) expect(c.resources.requests).toEqual(expect.objectContaining({ cpu: expect.anything(), memory: expect.anything() }));
      expect(hpa.spec.minReplicas).toBeLessThanOrEqual(hpa.spec.maxReplicas);
      expect(hpa.spec.behavior.scaleDown.stabilizationWindowSeconds).toBeGreaterThan(0);
    }
  });

  test('each PDB selects the pods of one Deployment and always allows a drain', () => {
    for (const pdb of ofKind(s, 'PodDisruptionBudget')) {
      const selected = ofKind(s, 'Deployment').filter((d) => matches(pdb.spec.selector.matchLabels, d.spec.template.metadata.labels));
      expect(selected).toHaveLength(1);
      const hpa = ofKind(s, 'HorizontalPodAutoscaler').find((h) => h.spec.scaleTargetRef.name === selected[0].metadata.name);
      const fewest = hpa ? hpa.spec.minReplicas : selected[0].spec.replicas;
      expect(fewest).toBeGreaterThanOrEqual(2);
      expect(pdb.spec.minAvailable).toBeUndefined();
      expect(pdb.spec.maxUnavailable).toBeGreaterThanOrEqual(1);
      expect(pdb.spec.maxUnavailable).toBeLessThan(fewest);
    }
  });

  test('every ConfigMap key and Secret key a container references is declared', () => {
    const configMaps = new Map(ofKind(s, 'ConfigMap').map((c) => [c.metadata.name, c.data as Record<string, string>]));
    for (const w of workloads(s)) {
      for (const c of allContainers(w)) {
        for (const e of c.env ?? []) {
          const cm = e.valueFrom?.configMapKeyRef;
          const sec = e.valueFrom?.secretKeyRef;
          expect(e.value).toBeUndefined(); // every value comes from a ConfigMap or a Secret
          if (cm) expect(configMaps.get(cm.name)).toHaveProperty([cm.key]);
          if (sec) {
            expect(sec.name).toBe(s.env.secretName);
            expect(Object.values(SECRET_KEYS)).toContain(sec.key);
          }
          expect(cm || sec).toBeTruthy();
        }
      }
    }
  });

  test('no Secret object and no secret value in the output', () => {
    expect(ofKind(s, 'Secret')).toHaveLength(0);
    const text = JSON.stringify(s.objects);
    expect(text).not.toMatch(/postgres(ql)?:\/\/[^"]*:[^"]*@/); // no URL with a password
    expect(text).not.toMatch(/POSTGRES_PASSWORD"?,"value"/);
  });

  test('images name a tag or a digest, never latest', () => {
    for (const w of workloads(s)) {
      for (const c of allContainers(w)) {
        expect(c.image).toMatch(/(:[A-Za-z0-9_][A-Za-z0-9_.-]*|@sha256:[a-f0-9]{64})$/);
        expect(c.image).not.toMatch(/:latest$/);
        expect(c.image.endsWith(':latest')).toBe(false);
      }
    }
    const app = ofKind(s, 'Deployment').flatMap((d) => podSpec(d).containers.map((c: any) => c.image as string));
    expect(app.every((i) => i.endsWith(`:${TEST_TAG}`))).toBe(true);
    expect(app.some((i) => i.includes(IMAGE_REPOSITORIES.backend))).toBe(true);
  });

  test('security settings on every container and pod', () => {
    for (const w of workloads(s)) {
      const pod = podSpec(w);
      expect(pod.automountServiceAccountToken).toBe(false);
      expect(pod.securityContext).toMatchObject({ runAsNonRoot: true, seccompProfile: { type: 'RuntimeDefault' } });
      expect(Number.isInteger(pod.securityContext.runAsUser) && pod.securityContext.runAsUser > 0).toBe(true);
      const sa = ofKind(s, 'ServiceAccount').find((x) => x.metadata.name === pod.serviceAccountName);
      expect(sa?.automountServiceAccountToken).toBe(false);
      for (const c of allContainers(w)) {
        expect(c.securityContext).toMatchObject({
          runAsNonRoot: true,
          readOnlyRootFilesystem: true,
          allowPrivilegeEscalation: false,
          capabilities: { drop: ['ALL'] },
          seccompProfile: { type: 'RuntimeDefault' },
        });
        expect(c.securityContext.runAsUser).toBeGreaterThan(0);
        expect(c.resources.requests.cpu).toBeDefined();
        expect(c.resources.requests.memory).toBeDefined();
        expect(c.resources.limits.cpu).toBeDefined();
        expect(c.resources.limits.memory).toBeDefined();
        expect(c.resources.requests['ephemeral-storage']).toBe(c.resources.limits['ephemeral-storage']);
        // writable /tmp comes from an emptyDir
        const tmp = c.volumeMounts?.find((m: any) => m.mountPath === '/tmp');
        expect(tmp).toBeDefined();
        expect(pod.volumes.find((v: any) => v.name === tmp.name).emptyDir).toBeDefined();
      }
    }
  });

  test('rolling updates, drain timings and the config checksum', () => {
    const configMaps = new Map(ofKind(s, 'ConfigMap').map((c) => [c.metadata.name, c.data]));
    for (const d of ofKind(s, 'Deployment')) {
      expect(d.spec.strategy).toEqual({ type: 'RollingUpdate', rollingUpdate: { maxUnavailable: 0, maxSurge: 1 } });
      expect(podSpec(d).terminationGracePeriodSeconds).toBe(SHUTDOWN.terminationGracePeriodSeconds);
      const [c] = podSpec(d).containers;
      expect(c.lifecycle.preStop).toEqual({ sleep: { seconds: SHUTDOWN.preStopSleepSeconds } });
      expect(SHUTDOWN.preStopSleepSeconds + SHUTDOWN.drainTimeoutSeconds).toBeLessThan(SHUTDOWN.terminationGracePeriodSeconds);
      const cmName = c.env.find((e: any) => e.valueFrom?.configMapKeyRef)!.valueFrom.configMapKeyRef.name;
      const entries = Object.entries(configMaps.get(cmName) as Record<string, string>).sort(([a], [b]) => (a < b ? -1 : 1));
      const sum = createHash('sha256').update(JSON.stringify(entries)).digest('hex');
      expect(d.spec.template.metadata.annotations['checksum/config']).toBe(sum);
    }
  });

  test('topology spread and anti-affinity where a tier may run more than one pod', () => {
    for (const d of ofKind(s, 'Deployment')) {
      const many = (d.spec.replicas ?? 2) > 1;
      const spec = podSpec(d);
      if (many) {
        expect(spec.topologySpreadConstraints.map((t: any) => t.topologyKey)).toEqual(['kubernetes.io/hostname', 'topology.kubernetes.io/zone']);
        expect(spec.affinity.podAntiAffinity).toBeDefined();
        for (const t of spec.topologySpreadConstraints) expect(matches(t.labelSelector.matchLabels, d.spec.template.metadata.labels)).toBe(true);
      } else {
        expect(spec.topologySpreadConstraints).toBeUndefined();
      }
    }
  });

  test('NetworkPolicies: default deny, DNS egress, and every tier reachable only as needed', () => {
    const pols = ofKind(s, 'NetworkPolicy');
    const deny = pols.find((p) => p.metadata.name === 'default-deny')!;
    expect(deny.spec.podSelector).toEqual({});
    expect([...deny.spec.policyTypes].sort()).toEqual(['Egress', 'Ingress']);
    expect(deny.spec.ingress).toBeUndefined();
    expect(deny.spec.egress).toBeUndefined();
    const dns = pols.find((p) => p.metadata.name === 'allow-dns')!;
    expect(dns.spec.egress[0].ports.map((p: any) => p.port)).toEqual([53, 53]);
    // every pod is covered by some allow policy with ingress on its port
    for (const w of workloads(s)) {
      const labels = w.spec.template.metadata.labels;
      const own = pols.filter((p) => p.spec.podSelector.matchLabels && matches(p.spec.podSelector.matchLabels, labels));
      expect(own.length).toBeGreaterThan(0);
      expect(own.some((p) => p.spec.ingress?.length)).toBe(true);
    }
  });
});

describe('per-environment shapes', () => {
  const byName = (name: string, kind: string, objName: string): K8sObject | undefined =>
    ofKind(synth(name), kind).find((o) => o.metadata.name === objName);

  test('dev: one replica, NodePort 30000, IfNotPresent, no Ingress/HPA/PDB, in-cluster PostgreSQL, API_UPSTREAM', () => {
    const s = synth('dev');
    for (const d of ofKind(s, 'Deployment')) {
      expect(d.spec.replicas).toBe(1);
      expect(podSpec(d).containers[0].imagePullPolicy).toBe('IfNotPresent');
    }
    const fe = byName('dev', 'Service', 'todo-frontend')!;
    expect(fe.spec.type).toBe('NodePort');
    expect(fe.spec.ports[0].nodePort).toBe(30000);
    for (const k of ['Ingress', 'HorizontalPodAutoscaler', 'PodDisruptionBudget']) expect(ofKind(s, k)).toHaveLength(0);
    const pg = ofKind(s, 'StatefulSet')[0];
    const c = podSpec(pg).containers[0];
    expect(c.image).toBe('postgres:17.11-trixie');
    expect(podSpec(pg).securityContext).toMatchObject({ runAsUser: 999, fsGroup: 999 });
    expect(c.env.find((e: any) => e.name === 'POSTGRES_PASSWORD').valueFrom.secretKeyRef).toEqual({ name: 'todo-secrets', key: SECRET_KEYS.postgresPassword });
    const pgdata = byName('dev', 'ConfigMap', 'todo-postgres-config')!.data.PGDATA;
    const dataMount = c.volumeMounts.find((m: any) => m.name === 'data').mountPath;
    expect(pgdata.startsWith(`${dataMount}/`)).toBe(true);
    expect(c.volumeMounts.map((m: any) => m.mountPath)).toEqual(expect.arrayContaining(['/var/run/postgresql', '/tmp']));
    expect(pg.spec.volumeClaimTemplates[0].spec.resources.requests.storage).toBe('1Gi');
    expect(byName('dev', 'ConfigMap', 'todo-frontend-config')!.data.API_UPSTREAM).toBe(`http://todo-backend.todo-dev.svc.cluster.local:80`);
    // API_UPSTREAM names the backend Service's real port
    expect(byName('dev', 'Service', 'todo-backend')!.spec.ports[0].port).toBe(80);
    // frontend -> backend allowed both ways; backend -> postgres
    const feEgress = byName('dev', 'NetworkPolicy', 'allow-frontend')!.spec.egress;
    expect(feEgress[0].to[0].podSelector.matchLabels['app.kubernetes.io/component']).toBe('backend');
    const be = byName('dev', 'NetworkPolicy', 'allow-backend')!.spec;
    expect(be.ingress[0].from.some((f: any) => f.podSelector?.matchLabels['app.kubernetes.io/component'] === 'frontend')).toBe(true);
    expect(be.egress[0].to[0].podSelector.matchLabels['app.kubernetes.io/component']).toBe('database');
    expect(byName('dev', 'NetworkPolicy', 'allow-postgres')!.spec.ingress[0].from[0].podSelector.matchLabels['app.kubernetes.io/component']).toBe('backend');
  });

  test('production: HPA 3->10, PDB, an HTTPRoute on the shared Gateway with TLS from cert-manager, Always pulls, external database, no API_UPSTREAM', () => {
    const s = synth('production');
    for (const h of ofKind(s, 'HorizontalPodAutoscaler')) expect([h.spec.minReplicas, h.spec.maxReplicas]).toEqual([3, 10]);
    expect(ofKind(s, 'HorizontalPodAutoscaler')).toHaveLength(2);
    expect(ofKind(s, 'PodDisruptionBudget')).toHaveLength(2);
    expect(ofKind(s, 'StatefulSet')).toHaveLength(0);
    expect(ofKind(s, 'Ingress')).toHaveLength(0);
    for (const d of ofKind(s, 'Deployment')) expect(podSpec(d).containers[0].imagePullPolicy).toBe('Always');
    const [route] = ofKind(s, 'HTTPRoute');
    expect(route.spec.parentRefs).toEqual([{ group: 'gateway.networking.k8s.io', kind: 'Gateway', name: 'public', namespace: 'gateway-system', sectionName: 'https-todo' }]);
    expect(route.spec.hostnames).toEqual(['todo.example.com']);
    // the longest matching PathPrefix wins whatever the order (Gateway API)
    expect(route.spec.rules.map((r: any) => [r.matches[0].path.value, r.matches[0].path.type, r.backendRefs[0].name]).sort()).toEqual([
      ['/', 'PathPrefix', 'todo-frontend'],
      ['/api', 'PathPrefix', 'todo-backend'],
    ]);
    expect(ofKind(s, 'Certificate')[0].spec).toEqual({ secretName: 'todo-tls', dnsNames: ['todo.example.com'], issuerRef: { group: 'cert-manager.io', kind: 'ClusterIssuer', name: 'letsencrypt' } });
    expect(byName('production', 'ConfigMap', 'todo-frontend-config')!.data.API_UPSTREAM).toBeUndefined();
    // the gateway's pods -> both tiers, the scraper -> the metrics port, the smoke test; no frontend -> backend path without API_UPSTREAM
    const gatewayPods = { namespaceSelector: { matchLabels: { 'kubernetes.io/metadata.name': 'gateway-system' } }, podSelector: { matchLabels: { 'gateway.networking.k8s.io/gateway-name': 'public' } } };
    const be = byName('production', 'NetworkPolicy', 'allow-backend')!.spec;
    expect(be.ingress.map((r: any) => [r.from, r.ports])).toEqual([
      [[gatewayPods], [{ port: 3000, protocol: 'TCP' }]],
      [[{ namespaceSelector: { matchLabels: { 'kubernetes.io/metadata.name': 'monitoring' } }, podSelector: { matchLabels: { 'app.kubernetes.io/name': 'prometheus' } } }], [{ port: 3000, protocol: 'TCP' }]],
      [[{ podSelector: { matchLabels: { 'app.kubernetes.io/instance': 'todo-production', 'app.kubernetes.io/component': 'smoke-test' } } }], [{ port: 3000, protocol: 'TCP' }]],
    ]);
    // the database: its subnet on its port, never the whole address space
    expect(be.egress).toEqual([{ to: [{ ipBlock: { cidr: '10.30.0.0/24' } }], ports: [{ port: 5432, protocol: 'TCP' }] }]);
    expect(byName('production', 'NetworkPolicy', 'allow-acme-http01-solver')!.spec.ingress).toEqual([{ from: [gatewayPods], ports: [{ port: 8089, protocol: 'TCP' }] }]);
    // the Prometheus Operator scrapes the backend Service's named port; no prometheus.io annotation claims otherwise
    expect(ofKind(s, 'ServiceMonitor').map((m) => [m.metadata.name, m.spec.endpoints])).toEqual([['todo-backend', [{ port: 'http', path: '/metrics', scheme: 'http' }]]]);
    for (const d of ofKind(s, 'Deployment')) expect(Object.keys(d.spec.template.metadata.annotations).filter((k) => k.startsWith('prometheus.io/'))).toEqual([]);
    expect(byName('production', 'ConfigMap', 'todo-backend-config')!.data.TRUSTED_PROXY_CIDRS).toBe('10.0.0.0/14');
  });

  test('e2e: the CI cluster\'s Gateway traefik/gateway, a certificate from the ClusterIssuer pebble, prometheus.io annotations for the scraper it admits', () => {
    const s = synth('e2e');
    const [route] = ofKind(s, 'HTTPRoute');
    expect(route.spec.parentRefs[0]).toMatchObject({ name: 'gateway', namespace: 'traefik', sectionName: 'https-todo-e2e' });
    expect(ofKind(s, 'Certificate')[0].spec.issuerRef).toEqual({ group: 'cert-manager.io', kind: 'ClusterIssuer', name: 'pebble' });
    const be = ofKind(s, 'Deployment').find((d) => d.metadata.name === 'todo-backend')!;
    expect(be.spec.template.metadata.annotations).toMatchObject({ 'prometheus.io/scrape': 'true', 'prometheus.io/path': '/metrics', 'prometheus.io/port': '3000' });
    const fe = ofKind(s, 'Deployment').find((d) => d.metadata.name === 'todo-frontend')!;
    expect(fe.spec.template.metadata.annotations['prometheus.io/scrape']).toBeUndefined(); // it serves no metrics
    expect(ofKind(s, 'ServiceMonitor')).toHaveLength(0);
  });

  test('the smoke test reaches the entry point: the gateway\'s pods on any port (the pod port after the Service\'s translation), 80/443 elsewhere', () => {
    const egress = byName('production', 'NetworkPolicy', 'allow-smoke-test')!.spec.egress;
    expect(egress).toContainEqual({ to: [{ namespaceSelector: { matchLabels: { 'kubernetes.io/metadata.name': 'gateway-system' } }, podSelector: { matchLabels: { 'gateway.networking.k8s.io/gateway-name': 'public' } } }] });
    expect(egress).toContainEqual({ to: [{ ipBlock: { cidr: '0.0.0.0/0' } }], ports: [{ port: 80, protocol: 'TCP' }, { port: 443, protocol: 'TCP' }] });
    // without an entry point of its own (dev: a NodePort), the smoke test reaches the Services only
    expect(byName('dev', 'NetworkPolicy', 'allow-smoke-test')!.spec.egress.every((r: any) => r.to[0].podSelector?.matchLabels['app.kubernetes.io/instance'] === 'todo-dev')).toBe(true);
  });

  test.each(ALL)('%s: the ops smoke-test pod may reach both tiers', (name) => {
    const s = synth(name);
    const pol = ofKind(s, 'NetworkPolicy').find((p) => p.metadata.name === 'allow-smoke-test')!;
    const smokeLabels = pol.spec.podSelector.matchLabels;
    for (const tier of ['todo-frontend', 'todo-backend']) {
      const d = ofKind(s, 'Deployment').find((x) => x.metadata.name === tier)!;
      expect(pol.spec.egress.some((e: any) => e.to?.[0].podSelector && matches(e.to[0].podSelector.matchLabels, d.spec.template.metadata.labels))).toBe(true);
      const own = ofKind(s, 'NetworkPolicy').find((p) => p.metadata.name === tier.replace('todo-', 'allow-'))!;
      const admitsSmoke = (r: any) => r.from === undefined || r.from.some((f: any) => f.podSelector?.matchLabels && matches(f.podSelector.matchLabels, smokeLabels));
      expect(own.spec.ingress.some(admitsSmoke)).toBe(true);
    }
  });

  test.each(ALL)('%s: prometheus.io annotations only where a scraper is admitted to that port and discovers by annotation', (name) => {
    const s = synth(name);
    const m = s.env.config.monitoring;
    for (const d of ofKind(s, 'Deployment')) {
      const a = d.spec.template.metadata.annotations;
      if (a['prometheus.io/scrape'] !== 'true') continue;
      expect(m?.discovery).toBe('annotations');
      const own = ofKind(s, 'NetworkPolicy').find((p) => p.spec.podSelector.matchLabels && matches(p.spec.podSelector.matchLabels, d.spec.template.metadata.labels))!;
      const scraper = { namespaceSelector: { matchLabels: { 'kubernetes.io/metadata.name': m!.scraper.namespace } }, podSelector: { matchLabels: m!.scraper.podLabels } };
      expect(own.spec.ingress).toContainEqual({ from: [scraper], ports: [{ port: Number(a['prometheus.io/port']), protocol: 'TCP' }] });
    }
  });

  test('a ConfigMap change (and only that) changes the checksum that rolls the pods', () => {
    const checksum = (dbPoolMax: number, tag = 'v1') => {
      const input = structuredClone(ENVIRONMENTS.production) as any;
      input.backend.dbPoolMax = dbPoolMax;
      const { charts } = buildApp(resolveConfig('production', input, { imageTag: tag }));
      return ApiObject.of(charts.backend.deployment).toJson().spec.template.metadata.annotations['checksum/config'];
    };
    expect(checksum(10)).toBe(checksum(10, 'v2'));
    expect(checksum(10)).not.toBe(checksum(11));
  });

  test('digest pinning and host override (CI overrides)', () => {
    const digest = `registry.example.com/todo/todo-backend@sha256:${'a'.repeat(64)}`;
    const s = synth('production', { backendImage: digest, host: 'todo.acme.io' });
    expect(podSpec(ofKind(s, 'Deployment').find((d) => d.metadata.name === 'todo-backend')!).containers[0].image).toBe(digest);
    expect(ofKind(s, 'HTTPRoute')[0].spec.hostnames).toEqual(['todo.acme.io']);
    expect(ofKind(s, 'Certificate')[0].spec.dnsNames).toEqual(['todo.acme.io']);
  });
});
