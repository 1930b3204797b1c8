/**
 * Dev only: a single-replica PostgreSQL (official image, pinned) in a StatefulSet with a PVC and a
 * headless Service. Runs as the image's postgres user (uid/gid 999) under PSA `restricted`: read-only
 * root filesystem, emptyDirs for the socket directory and /tmp, PGDATA in a subdirectory of the volume.
 */
import { Construct } from 'constructs';
import { SECRET_KEYS } from '@todo/contract';
import { IntOrString, KubeConfigMap, KubeService, KubeServiceAccount, KubeStatefulSet, Quantity } from '../../imports/k8s';
import { resources, type Resources } from './resources';
import { containerSecurityContext, podSecurityContext } from './security';

export const POSTGRES_UID = 999;
const DATA_MOUNT = '/var/lib/postgresql/data';

export interface PostgresProps {
  readonly name: string;
  readonly configMapName: string;
  readonly labels: Record<string, string>;
  readonly image: string;
  readonly port: number;
  readonly user: string;
  readonly database: string;
  readonly storage: string;
  readonly storageClassName?: string;
  readonly secretName: string;
  readonly resources: Resources;
  /** Where the ServiceAccount and ConfigMap go (see AppTier). */
  readonly configScope?: Construct;
}

export class Postgres extends Construct {
  readonly selector: Record<string, string>;
  readonly service: KubeService;
  readonly statefulSet: KubeStatefulSet;
  readonly configMap: KubeConfigMap;

  constructor(scope: Construct, id: string, props: PostgresProps) {
    super(scope, id);
    this.selector = {
      'app.kubernetes.io/name': props.name,
      'app.kubernetes.io/instance': props.labels['app.kubernetes.io/instance'],
      'app.kubernetes.io/component': 'database',
    };
    const labels = { ...props.labels, ...this.selector };
    const cfgScope = props.configScope ?? this;
    const cfgId = (kind: string) => (props.configScope ? `${id}${kind}` : kind);
    const sa = new KubeServiceAccount(cfgScope, cfgId('ServiceAccount'), { metadata: { name: props.name, labels }, automountServiceAccountToken: false });
    this.configMap = new KubeConfigMap(cfgScope, cfgId('ConfigMap'), {
      metadata: { name: props.configMapName, labels },
      data: { POSTGRES_USER: props.user, POSTGRES_DB: props.database, PGDATA: `${DATA_MOUNT}/pgdata` },
    });
    const fromConfig = (key: string) => ({ name: key, valueFrom: { configMapKeyRef: { name: props.configMapName, key } } });
    const ready = { exec: { command: ['pg_isready', '-h', '127.0.0.1', '-p', String(props.port), '-U', props.user, '-d', props.database] } };

    this.service = new KubeService(this, 'Service', {
      metadata: { name: props.name, labels },
      spec: {
        clusterIp: 'None',
        selector: this.selector,
        ports: [{ name: 'postgres', port: props.port, targetPort: IntOrString.fromString('postgres'), protocol: 'TCP' }],
      },
    });

    this.statefulSet = new KubeStatefulSet(this, 'StatefulSet', {
      metadata: { name: props.name, labels },
      spec: {
        serviceName: this.service.name,
        replicas: 1,
        selector: { matchLabels: this.selector },
        template: {
          metadata: { labels },
          spec: {
            serviceAccountName: sa.name,
            automountServiceAccountToken: false,
            enableServiceLinks: false,
            terminationGracePeriodSeconds: 60,
            securityContext: podSecurityContext(POSTGRES_UID, POSTGRES_UID),
            containers: [
              {
                name: 'postgres',
                image: props.image,
                imagePullPolicy: 'IfNotPresent',
                ports: [{ name: 'postgres', containerPort: props.port, protocol: 'TCP' }],
                env: [
                  fromConfig('POSTGRES_USER'),
                  fromConfig('POSTGRES_DB'),
                  fromConfig('PGDATA'),
                  { name: 'POSTGRES_PASSWORD', valueFrom: { secretKeyRef: { name: props.secretName, key: SECRET_KEYS.postgresPassword } } },
                ],
                securityContext: containerSecurityContext(POSTGRES_UID, POSTGRES_UID),
                resources: resources(props.resources),
                startupProbe: { ...ready, periodSeconds: 2, failureThreshold: 60, timeoutSeconds: 3 },
                readinessProbe: { ...ready, periodSeconds: 5, failureThreshold: 3, timeoutSeconds: 3 },
                livenessProbe: { tcpSocket: { port: IntOrString.fromString('postgres') }, periodSeconds: 10, failureThreshold: 6, timeoutSeconds: 3 },
                volumeMounts: [
                  { name: 'data', mountPath: DATA_MOUNT },
                  { name: 'run', mountPath: '/var/run/postgresql' },
                  { name: 'tmp', mountPath: '/tmp' },
                ],
              },
            ],
            volumes: [
              { name: 'run', emptyDir: { sizeLimit: Quantity.fromString('16Mi') } },
              { name: 'tmp', emptyDir: { sizeLimit: Quantity.fromString('64Mi') } },
            ],
          },
        },
        volumeClaimTemplates: [
          {
            metadata: { name: 'data', labels },
            spec: {
              accessModes: ['ReadWriteOnce'],
              storageClassName: props.storageClassName,
              resources: { requests: { storage: Quantity.fromString(props.storage) } },
            },
          },
        ],
      },
    });
  }
}
