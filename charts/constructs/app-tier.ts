/**
 * One tier of the application (backend or frontend) on cdk8s-plus-33: ServiceAccount, ConfigMap,
 * Deployment, Service and, where asked, HorizontalPodAutoscaler and PodDisruptionBudget. Ports,
 * probe paths, shutdown timings and variable names come from @todo/contract; the rules it shares with
 * the configuration schema are in charts/rules.ts. `policyTarget` wires it into a NetworkPolicySet.
 *
 * cdk8s-plus-33 cannot express a few fields the manifests need; each is set through cdk8s' escape
 * hatch (`ApiObject.of(...).addJsonPatch`) with its reason beside it.
 */
import { createHash } from 'node:crypto';
import { ApiObject, Duration, JsonPatch, Size } from 'cdk8s';
import * as kplus from 'cdk8s-plus-33';
import { Construct } from 'constructs';
import { RUNTIME_USER, SHUTDOWN, WRITABLE_PATHS, type EnvVarSpec, type TierContract } from '@todo/contract';
import { IntOrString, KubePodDisruptionBudget } from '../../imports/k8s';
import type { HpaConfig, PdbConfig, ResourcesConfig, SchedulingConfig } from '../config/schema';
import { DNS_LABEL, DNS_SUBDOMAIN, imageRefProblem, labelKeyProblem } from '../config/syntax';
import { hpaRangeProblem, limitBelowRequestProblem, pdbProblem, ROLLING_UPDATE } from '../rules';
import { invariant } from './invariant';
import type { PolicyTarget } from './network';
import { resourceRequirements } from './resources';
import { kplusContainerSecurity, kplusPodSecurity, podSecurityContext } from './security';

/** An env var the container sets: from the tier's ConfigMap (value) or from a Secret (secretKey). */
export type EnvSetting = { spec: EnvVarSpec; value: string } | { spec: EnvVarSpec; secretName: string; secretKey: string; optional?: boolean };

export interface AppTierProps {
  /** The tier's contract (`@todo/contract`): component name, container port and its name, probe paths. */
  readonly contract: TierContract;
  /** Name of the ServiceAccount, Deployment, Service, HPA and PDB, and the pods' `app.kubernetes.io/name` (a DNS label). */
  readonly name: string;
  /**
   * Name of the ConfigMap that holds the tier's non-secret variables.
   * @default `${name}-config`
   */
  readonly configMapName?: string;
  /**
   * Labels every object of the tier carries (the release labels); `app.kubernetes.io/instance` also selects the pods.
   * @default {}
   */
  readonly labels?: Record<string, string>;
  /** Container image with a tag or a `@sha256:` digest (never `latest`). */
  readonly image: string;
  /**
   * imagePullPolicy of the containers.
   * @default 'IfNotPresent'
   */
  readonly imagePullPolicy?: 'Always' | 'IfNotPresent';
  /**
   * Fixed number of pods; left unset in the Deployment (the HPA owns it) when `hpa` is set.
   * @default 1
   */
  readonly replicas?: number;
  /** CPU and memory requests and limits, and ephemeral storage (requested and limited alike). */
  readonly resources: ResourcesConfig;
  /**
   * Variables of the main container (and the init containers): values go to the ConfigMap, secrets are Secret key references.
   * @default []
   */
  readonly env?: readonly EnvSetting[];
  /**
   * The Service in front of the pods (its targetPort is the contract's container port).
   * @default { port: 80, type: 'ClusterIP' }
   */
  readonly service?: { readonly port: number; readonly type: 'ClusterIP' | 'NodePort'; readonly nodePort?: number };
  /**
   * HorizontalPodAutoscaler on CPU and memory utilization.
   * @default - a fixed replica count, no HPA
   */
  readonly hpa?: HpaConfig;
  /**
   * PodDisruptionBudget; refused on fewer than 2 replicas (it would block every node drain).
   * @default - no PDB
   */
  readonly pdb?: PdbConfig;
  /**
   * Node selection, tolerations, anti-affinity and zone spreading (spread and anti-affinity only apply when the tier may run more than one pod).
   * @default { nodeSelector: {}, tolerations: [], antiAffinity: 'preferred', zoneSpread: 'ScheduleAnyway' }
   */
  readonly scheduling?: SchedulingConfig;
  /**
   * Secret of type kubernetes.io/dockerconfigjson the kubelet pulls the image with.
   * @default - anonymous pulls
   */
  readonly imagePullSecret?: string;
  /**
   * PriorityClass of the pods.
   * @default - the cluster's default priority
   */
  readonly priorityClassName?: string;
  /**
   * Init containers that run before the main container with the same image and security (e.g. migrations); each
   * gets its own `env` (values go to the tier's ConfigMap beside the main container's), or, without one, the main
   * container's.
   * @default []
   */
  readonly initCommands?: readonly { readonly name: string; readonly command: readonly string[]; readonly env?: readonly EnvSetting[] }[];
  /**
   * Where the ServiceAccount and ConfigMap go (another chart, so that `kubectl apply` creates them before the pods).
   * @default this construct
   */
  readonly configScope?: Construct;
}

const DEFAULT_SCHEDULING: SchedulingConfig = { nodeSelector: {}, tolerations: [], antiAffinity: 'preferred', zoneSpread: 'ScheduleAnyway' };

export class AppTier extends Construct implements PolicyTarget {
  readonly deployment: kplus.Deployment;
  readonly service: kplus.Service;
  readonly configMap: kplus.ConfigMap;
  readonly serviceAccount: kplus.ServiceAccount;
  readonly hpa?: kplus.HorizontalPodAutoscaler;
  /** L1: cdk8s-plus-33 has no PodDisruptionBudget construct. */
  readonly pdb?: KubePodDisruptionBudget;
  /** Labels of the pods (the Deployment, Service, PDB and NetworkPolicies select by them). */
  readonly selector: Record<string, string>;
  /** NetworkPolicySet wiring: the pods, and the container port peers reach them on. */
  readonly policyName: string;
  readonly port: number;
  /** Where the tier serves Prometheus metrics (its contract's `metricsPath`, on its port); unset: it serves none. */
  readonly metrics?: { readonly path: string; readonly port: number; readonly portName: string };

  constructor(scope: Construct, id: string, props: AppTierProps) {
    super(scope, id);
    const c = props.contract;
    const replicas = props.replicas ?? 1;
    const scheduling = props.scheduling ?? DEFAULT_SCHEDULING;
    const service = props.service ?? { port: 80, type: 'ClusterIP' as const };
    const configMapName = props.configMapName ?? `${props.name}-config`;
    this.checkProps(props, replicas, scheduling, service, configMapName);

    const releaseLabels = props.labels ?? {};
    this.selector = {
      'app.kubernetes.io/name': props.name,
      ...(releaseLabels['app.kubernetes.io/instance'] && { 'app.kubernetes.io/instance': releaseLabels['app.kubernetes.io/instance'] }),
      'app.kubernetes.io/component': c.component,
    };
    this.policyName = `allow-${c.component}`;
    this.port = c.port;
    const metricsPath = (c as TierContract & { metricsPath?: string }).metricsPath;
    if (metricsPath) this.metrics = { path: metricsPath, port: c.port, portName: c.portName };
    const labels = { ...releaseLabels, ...this.selector };

    const cfgScope = props.configScope ?? this;
    const cfgId = (kind: string) => (props.configScope ? `${id}${kind}` : kind);
    this.serviceAccount = new kplus.ServiceAccount(cfgScope, cfgId('ServiceAccount'), { metadata: { name: props.name, labels }, automountToken: false });

    // one ConfigMap for the main and the init containers' values (a variable both set has one value)
    const data: Record<string, string> = {};
    for (const s of [...(props.env ?? []), ...(props.initCommands ?? []).flatMap((i) => i.env ?? [])]) if ('value' in s) data[s.spec.name] = s.value;
    this.configMap = new kplus.ConfigMap(cfgScope, cfgId('ConfigMap'), { metadata: { name: configMapName, labels }, data });
    let secretRefs = 0;
    const variables = (settings: readonly EnvSetting[]): Record<string, kplus.EnvValue> =>
      Object.fromEntries(
        settings.map((s) => [
          s.spec.name,
          'value' in s
            ? kplus.EnvValue.fromConfigMap(this.configMap, s.spec.name)
            : kplus.EnvValue.fromSecretValue({ secret: kplus.Secret.fromSecretName(this, `Secret${secretRefs++}`, s.secretName), key: s.secretKey }, { optional: s.optional }),
        ]),
      );
    const envVariables = variables(props.env ?? []);
    // Key order does not matter: hash the entries sorted by key.
    const checksum = createHash('sha256').update(JSON.stringify(Object.entries(data).sort(([a], [b]) => (a < b ? -1 : 1)))).digest('hex');

    const tmp = kplus.Volume.fromEmptyDir(this, 'Tmp', 'tmp', { sizeLimit: Size.mebibytes(64) });
    const common = {
      image: props.image,
      imagePullPolicy: (props.imagePullPolicy ?? 'IfNotPresent') as kplus.ImagePullPolicy,
      envVariables,
      securityContext: kplusContainerSecurity(RUNTIME_USER.uid, RUNTIME_USER.gid),
      resources: {}, // set below in the API server's canonical form
      volumeMounts: [{ path: WRITABLE_PATHS.tmp, volume: tmp }],
    };
    const probe = (path: string, periodSeconds: number, failureThreshold: number) =>
      kplus.Probe.fromHttpGet(path, { port: c.port, periodSeconds: Duration.seconds(periodSeconds), failureThreshold, timeoutSeconds: Duration.seconds(2) });

    const many = props.hpa !== undefined || replicas > 1;
    this.deployment = new kplus.Deployment(this, 'Deployment', {
      metadata: { name: props.name, labels },
      // our own selector (immutable once deployed), not cdk8s-plus' generated address label
      select: false,
      podMetadata: { labels, annotations: { 'checksum/config': checksum } },
      replicas: props.hpa ? undefined : replicas,
      revisionHistoryLimit: 10,
      strategy: kplus.DeploymentStrategy.rollingUpdate({
        maxSurge: kplus.PercentOrAbsolute.absolute(ROLLING_UPDATE.maxSurge),
        maxUnavailable: kplus.PercentOrAbsolute.absolute(ROLLING_UPDATE.maxUnavailable),
      }),
      serviceAccount: this.serviceAccount,
      automountServiceAccountToken: false,
      enableServiceLinks: false,
      terminationGracePeriod: Duration.seconds(SHUTDOWN.terminationGracePeriodSeconds),
      securityContext: kplusPodSecurity(RUNTIME_USER.uid, RUNTIME_USER.gid),
      dockerRegistryAuth: props.imagePullSecret ? kplus.Secret.fromSecretName(this, 'PullSecret', props.imagePullSecret) : undefined,
      initContainers: (props.initCommands ?? []).map((i) => ({ ...common, ...(i.env && { envVariables: variables(i.env) }), name: i.name, command: [...i.command] })),
      containers: [
        {
          ...common,
          name: c.component,
          ports: [{ name: c.portName, number: c.port, protocol: kplus.Protocol.TCP }],
          startup: probe(c.livenessPath, 2, 30),
          liveness: probe(c.livenessPath, 10, 3),
          readiness: probe(c.readinessPath, 5, 2),
        },
      ],
    });
    this.deployment.select(kplus.LabelSelector.of({ labels: this.selector }));
    this.schedule(scheduling, many);

    const d = ApiObject.of(this.deployment);
    const pod = '/spec/template/spec';
    d.addJsonPatch(
      // cdk8s-plus' Handler has no `sleep` action (the kubelet's own; no binary needed in the image)
      JsonPatch.add(`${pod}/containers/0/lifecycle`, { preStop: { sleep: { seconds: SHUTDOWN.preStopSleepSeconds } } }),
      // cdk8s-plus' PodSecurityContext has no seccompProfile
      JsonPatch.add(`${pod}/securityContext/seccompProfile`, podSecurityContext(RUNTIME_USER.uid, RUNTIME_USER.gid).seccompProfile),
      // cdk8s-plus renders memory in Mi and ephemeral storage only in whole Gi (256Mi throws); the API server stores
      // quantities in canonical form, which the manifests must carry for a client-side apply to find nothing to change
      ...[...(props.initCommands ?? []).map((_, i) => `initContainers/${i}`), 'containers/0'].map((p) =>
        JsonPatch.add(`${pod}/${p}/resources`, resourceRequirements(props.resources)),
      ),
      // server-side defaults cdk8s-plus writes out that the API server omits (0 / false), so a client-side apply never saw "unchanged"
      JsonPatch.remove('/spec/minReadySeconds'),
      JsonPatch.remove(`${pod}/hostNetwork`),
      ...(props.priorityClassName ? [JsonPatch.add(`${pod}/priorityClassName`, props.priorityClassName)] : []), // not in cdk8s-plus
    );

    this.service = new kplus.Service(this, 'Service', {
      metadata: { name: props.name, labels },
      type: service.type as kplus.ServiceType,
      ports: [{ name: c.portName, port: service.port, targetPort: c.port, protocol: kplus.Protocol.TCP, nodePort: service.type === 'NodePort' ? service.nodePort : undefined }],
    });
    for (const [k, v] of Object.entries(this.selector)) this.service.selectLabel(k, v);
    // cdk8s-plus always writes `externalIPs: []`, which the API server stores as absent
    ApiObject.of(this.service).addJsonPatch(JsonPatch.remove('/spec/externalIPs'));

    if (props.hpa) {
      const h = props.hpa;
      this.hpa = new kplus.HorizontalPodAutoscaler(this, 'Hpa', {
        metadata: { name: props.name, labels },
        target: this.deployment,
        minReplicas: h.minReplicas,
        maxReplicas: h.maxReplicas,
        metrics: [
          kplus.Metric.resourceCpu(kplus.MetricTarget.averageUtilization(h.cpuUtilization)),
          kplus.Metric.resourceMemory(kplus.MetricTarget.averageUtilization(h.memoryUtilization)),
        ],
        scaleDown: {
          strategy: kplus.ScalingStrategy.MIN_CHANGE,
          stabilizationWindow: Duration.seconds(h.scaleDownStabilizationSeconds),
          policies: [{ replicas: kplus.Replicas.absolute(1), duration: Duration.seconds(60) }],
        },
        scaleUp: {
          strategy: kplus.ScalingStrategy.MAX_CHANGE,
          stabilizationWindow: Duration.seconds(0),
          policies: [
            { replicas: kplus.Replicas.percent(100), duration: Duration.seconds(30) },
            { replicas: kplus.Replicas.absolute(2), duration: Duration.seconds(30) },
          ],
        },
      });
    }

    if (props.pdb) {
      // L1: cdk8s-plus-33 has no PodDisruptionBudget
      this.pdb = new KubePodDisruptionBudget(this, 'Pdb', {
        metadata: { name: props.name, labels },
        spec: {
          maxUnavailable: IntOrString.fromNumber(props.pdb.maxUnavailable),
          selector: { matchLabels: this.selector },
          unhealthyPodEvictionPolicy: 'AlwaysAllow',
        },
      });
    }
  }

  /** The invariants the configuration schema also checks, so the construct is safe on its own. */
  private checkProps(props: AppTierProps, replicas: number, scheduling: SchedulingConfig, service: NonNullable<AppTierProps['service']>, configMapName: string): void {
    invariant(this, 'name', DNS_LABEL.test(props.name) ? undefined : `"${props.name}" is not a DNS label (lower case, digits and -, at most 63)`);
    invariant(this, 'configMapName', DNS_SUBDOMAIN.test(configMapName) ? undefined : `"${configMapName}" is not a DNS subdomain`);
    invariant(this, 'image', imageRefProblem(props.image));
    invariant(this, 'replicas', Number.isInteger(replicas) && replicas >= 1 ? undefined : `${replicas} must be a whole number of at least 1`);
    if (props.hpa) invariant(this, 'hpa', hpaRangeProblem(props.hpa.minReplicas, props.hpa.maxReplicas));
    if (props.pdb) {
      const p = pdbProblem(props.hpa ? props.hpa.minReplicas : replicas, props.pdb.maxUnavailable);
      invariant(this, p?.field === 'maxUnavailable' ? 'pdb.maxUnavailable' : 'pdb', p?.message);
    }
    for (const res of ['cpu', 'memory'] as const) {
      invariant(this, `resources.limits.${res}`, limitBelowRequestProblem(props.resources.requests[res], props.resources.limits[res]));
    }
    if (service.type === 'NodePort') {
      const np = service.nodePort;
      invariant(this, 'service.nodePort', np !== undefined && Number.isInteger(np) && np >= 30000 && np <= 32767 ? undefined : `a NodePort Service needs a nodePort in 30000-32767 (got ${np})`);
    } else {
      invariant(this, 'service.nodePort', service.nodePort === undefined ? undefined : 'applies only to a NodePort Service');
    }
    const values = new Map<string, string>();
    for (const [prop, settings] of [['env', props.env ?? []], ...(props.initCommands ?? []).map((i, n) => [`initCommands.${n}.env`, i.env ?? []] as const)] as const) {
      for (const s of settings) {
        invariant(this, `${prop}.${s.spec.name}`, 'value' in s && s.spec.secret ? 'is a secret variable and must come from a Secret, not the ConfigMap' : undefined);
        if (!('value' in s)) continue;
        const other = values.get(s.spec.name);
        invariant(this, `${prop}.${s.spec.name}`, other !== undefined && other !== s.value ? `is ${JSON.stringify(s.value)} here and ${JSON.stringify(other)} in another container: the tier's ConfigMap holds one value` : undefined);
        values.set(s.spec.name, s.value);
      }
    }
    for (const k of Object.keys(scheduling.nodeSelector)) invariant(this, 'scheduling.nodeSelector', labelKeyProblem(k));
  }

  private schedule(s: SchedulingConfig, many: boolean): void {
    const sched = this.deployment.scheduling;
    for (const [k, v] of Object.entries(s.nodeSelector)) sched.attract(kplus.Node.labeled(kplus.NodeLabelQuery.is(k, v)));
    for (const t of s.tolerations) {
      const effect = t.effect as kplus.TaintEffect | undefined;
      const q = t.key === undefined ? kplus.NodeTaintQuery.any() : t.operator === 'Exists' ? kplus.NodeTaintQuery.exists(t.key, { effect }) : kplus.NodeTaintQuery.is(t.key, t.value ?? '', { effect });
      sched.tolerate(kplus.Node.tainted(q));
    }
    if (!many) return;
    if (s.antiAffinity !== 'none') {
      const peers = kplus.Pods.select(this, 'SameTier', { labels: this.selector });
      sched.separate(peers, { topology: kplus.Topology.HOSTNAME, weight: s.antiAffinity === 'preferred' ? 100 : undefined });
    }
    // cdk8s-plus-33 has no topologySpreadConstraints (its `spread` is pod anti-affinity)
    const spread = (topologyKey: string, whenUnsatisfiable: string) => ({ maxSkew: 1, topologyKey, whenUnsatisfiable, labelSelector: { matchLabels: this.selector } });
    ApiObject.of(this.deployment).addJsonPatch(
      JsonPatch.add('/spec/template/spec/topologySpreadConstraints', [spread('kubernetes.io/hostname', 'ScheduleAnyway'), spread('topology.kubernetes.io/zone', s.zoneSpread)]),
    );
  }
}
