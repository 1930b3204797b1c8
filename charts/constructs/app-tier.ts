/**
 * One tier of the application (backend or frontend): ServiceAccount, ConfigMap, Deployment, Service,
 * and, where the environment asks, HorizontalPodAutoscaler and PodDisruptionBudget.
 * Ports, probe paths, shutdown timings and env var names come from @todo/contract.
 */
import { createHash } from 'node:crypto';
import { Construct } from 'constructs';
import { RUNTIME_USER, SHUTDOWN, WRITABLE_PATHS, type EnvVarSpec, type TierContract } from '@todo/contract';
import {
  IntOrString,
  KubeConfigMap,
  KubeDeployment,
  KubeHorizontalPodAutoscalerV2,
  KubePodDisruptionBudget,
  KubeService,
  KubeServiceAccount,
  Quantity,
  type Affinity,
  type Container,
  type EnvVar,
  type Toleration,
  type TopologySpreadConstraint,
} from '../../imports/k8s';
import { resources, type Resources } from './resources';
import { containerSecurityContext, podSecurityContext } from './security';

/** An env var the container sets: from the tier's ConfigMap (value) or from a Secret (secretKey). */
export type EnvSetting = { spec: EnvVarSpec; value: string } | { spec: EnvVarSpec; secretName: string; secretKey: string; optional?: boolean };

export interface AppTierProps {
  readonly contract: TierContract;
  readonly name: string;
  readonly configMapName: string;
  readonly labels: Record<string, string>;
  readonly image: string;
  readonly imagePullPolicy: 'Always' | 'IfNotPresent';
  /** Fixed replica count; ignored (left to the HPA) when `hpa` is set. */
  readonly replicas: number;
  readonly resources: Resources;
  readonly env: readonly EnvSetting[];
  readonly service: { port: number; type: 'ClusterIP' | 'NodePort'; nodePort?: number };
  readonly hpa?: { minReplicas: number; maxReplicas: number; cpuUtilization: number; memoryUtilization: number; scaleDownStabilizationSeconds: number };
  readonly pdb?: { maxUnavailable: number };
  readonly nodeSelector?: Record<string, string>;
  readonly tolerations?: Toleration[];
  readonly antiAffinity: 'none' | 'preferred' | 'required';
  /** Init containers that run with the same image, env and security (e.g. migrations). */
  readonly initCommands?: { name: string; command: readonly string[] }[];
  /** Where the ServiceAccount and ConfigMap go (another chart, so they are applied before the pods). Default: this construct. */
  readonly configScope?: Construct;
}

export class AppTier extends Construct {
  readonly deployment: KubeDeployment;
  readonly service: KubeService;
  readonly configMap: KubeConfigMap;
  readonly serviceAccount: KubeServiceAccount;
  readonly hpa?: KubeHorizontalPodAutoscalerV2;
  readonly pdb?: KubePodDisruptionBudget;
  /** Labels of the pods (the Service, PDB and NetworkPolicies select by them). */
  readonly selector: Record<string, string>;

  constructor(scope: Construct, id: string, props: AppTierProps) {
    super(scope, id);
    const c = props.contract;
    this.selector = {
      'app.kubernetes.io/name': props.name,
      'app.kubernetes.io/instance': props.labels['app.kubernetes.io/instance'],
      'app.kubernetes.io/component': c.component,
    };
    const labels = { ...props.labels, ...this.selector };

    const cfgScope = props.configScope ?? this;
    const cfgId = (kind: string) => (props.configScope ? `${id}${kind}` : kind);
    this.serviceAccount = new KubeServiceAccount(cfgScope, cfgId('ServiceAccount'), {
      metadata: { name: props.name, labels },
      automountServiceAccountToken: false,
    });

    const data: Record<string, string> = {};
    const env: EnvVar[] = [];
    for (const s of props.env) {
      if ('value' in s) {
        if (s.spec.secret) throw new Error(`${props.name}: ${s.spec.name} is a secret variable and must come from a Secret`);
        data[s.spec.name] = s.value;
        env.push({ name: s.spec.name, valueFrom: { configMapKeyRef: { name: props.configMapName, key: s.spec.name } } });
      } else {
        env.push({ name: s.spec.name, valueFrom: { secretKeyRef: { name: s.secretName, key: s.secretKey, optional: s.optional } } });
      }
    }
    this.configMap = new KubeConfigMap(cfgScope, cfgId('ConfigMap'), { metadata: { name: props.configMapName, labels }, data });
    // Key order does not matter: hash the entries sorted by key.
    const checksum = createHash('sha256').update(JSON.stringify(Object.entries(data).sort(([a], [b]) => (a < b ? -1 : 1)))).digest('hex');

    const base: Omit<Container, 'name'> = {
      image: props.image,
      imagePullPolicy: props.imagePullPolicy,
      env,
      securityContext: containerSecurityContext(RUNTIME_USER.uid, RUNTIME_USER.gid),
      resources: resources(props.resources),
      volumeMounts: [{ name: 'tmp', mountPath: WRITABLE_PATHS.tmp }],
    };
    const port = IntOrString.fromString(c.portName);
    const main: Container = {
      ...base,
      name: c.component,
      ports: [{ name: c.portName, containerPort: c.port, protocol: 'TCP' }],
      startupProbe: { httpGet: { path: c.livenessPath, port }, periodSeconds: 2, failureThreshold: 30, timeoutSeconds: 2 },
      livenessProbe: { httpGet: { path: c.livenessPath, port }, periodSeconds: 10, failureThreshold: 3, timeoutSeconds: 2 },
      readinessProbe: { httpGet: { path: c.readinessPath, port }, periodSeconds: 5, failureThreshold: 2, timeoutSeconds: 2 },
      lifecycle: { preStop: { sleep: { seconds: SHUTDOWN.preStopSleepSeconds } } },
    };
    const many = props.hpa !== undefined || props.replicas > 1;
    const spread: TopologySpreadConstraint[] | undefined = many
      ? [
          { maxSkew: 1, topologyKey: 'kubernetes.io/hostname', whenUnsatisfiable: 'ScheduleAnyway', labelSelector: { matchLabels: this.selector } },
          { maxSkew: 1, topologyKey: 'topology.kubernetes.io/zone', whenUnsatisfiable: 'ScheduleAnyway', labelSelector: { matchLabels: this.selector } },
        ]
      : undefined;
    const affinity: Affinity | undefined =
      many && props.antiAffinity !== 'none'
        ? {
            podAntiAffinity:
              props.antiAffinity === 'required'
                ? { requiredDuringSchedulingIgnoredDuringExecution: [{ topologyKey: 'kubernetes.io/hostname', labelSelector: { matchLabels: this.selector } }] }
                : {
                    preferredDuringSchedulingIgnoredDuringExecution: [
                      { weight: 100, podAffinityTerm: { topologyKey: 'kubernetes.io/hostname', labelSelector: { matchLabels: this.selector } } },
                    ],
                  },
          }
        : undefined;

    this.deployment = new KubeDeployment(this, 'Deployment', {
      metadata: { name: props.name, labels },
      spec: {
        replicas: props.hpa ? undefined : props.replicas,
        revisionHistoryLimit: 10,
        selector: { matchLabels: this.selector },
        strategy: { type: 'RollingUpdate', rollingUpdate: { maxUnavailable: IntOrString.fromNumber(0), maxSurge: IntOrString.fromNumber(1) } },
        template: {
          metadata: { labels, annotations: { 'checksum/config': checksum } },
          spec: {
            serviceAccountName: this.serviceAccount.name,
            automountServiceAccountToken: false,
            enableServiceLinks: false,
            terminationGracePeriodSeconds: SHUTDOWN.terminationGracePeriodSeconds,
            securityContext: podSecurityContext(RUNTIME_USER.uid, RUNTIME_USER.gid),
            initContainers: props.initCommands?.map((i) => ({ ...base, name: i.name, command: [...i.command] })),
            containers: [main],
            volumes: [{ name: 'tmp', emptyDir: { sizeLimit: Quantity.fromString('64Mi') } }],
            nodeSelector: props.nodeSelector && Object.keys(props.nodeSelector).length ? props.nodeSelector : undefined,
            tolerations: props.tolerations?.length ? props.tolerations : undefined,
            topologySpreadConstraints: spread,
            affinity,
          },
        },
      },
    });

    this.service = new KubeService(this, 'Service', {
      metadata: { name: props.name, labels },
      spec: {
        type: props.service.type,
        selector: this.selector,
        ports: [
          {
            name: c.portName,
            port: props.service.port,
            targetPort: IntOrString.fromString(c.portName),
            protocol: 'TCP',
            nodePort: props.service.type === 'NodePort' ? props.service.nodePort : undefined,
          },
        ],
      },
    });

    if (props.hpa) {
      const h = props.hpa;
      this.hpa = new KubeHorizontalPodAutoscalerV2(this, 'Hpa', {
        metadata: { name: props.name, labels },
        spec: {
          scaleTargetRef: { apiVersion: 'apps/v1', kind: 'Deployment', name: this.deployment.name },
          minReplicas: h.minReplicas,
          maxReplicas: h.maxReplicas,
          metrics: [
            { type: 'Resource', resource: { name: 'cpu', target: { type: 'Utilization', averageUtilization: h.cpuUtilization } } },
            { type: 'Resource', resource: { name: 'memory', target: { type: 'Utilization', averageUtilization: h.memoryUtilization } } },
          ],
          behavior: {
            scaleDown: {
              stabilizationWindowSeconds: h.scaleDownStabilizationSeconds,
              selectPolicy: 'Min',
              policies: [{ type: 'Pods', value: 1, periodSeconds: 60 }],
            },
            scaleUp: {
              stabilizationWindowSeconds: 0,
              selectPolicy: 'Max',
              policies: [
                { type: 'Percent', value: 100, periodSeconds: 30 },
                { type: 'Pods', value: 2, periodSeconds: 30 },
              ],
            },
          },
        },
      });
    }

    if (props.pdb) {
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
}
