/**
 * A single-replica PostgreSQL (official image, pinned) in a cdk8s-plus StatefulSet with a PVC and a
 * headless Service. Runs as the image's postgres user (uid/gid 999) under PSA `restricted`: read-only
 * root filesystem, emptyDirs for the socket directory and /tmp, PGDATA in a subdirectory of the volume.
 * `max_connections` is set from the props, so the connection budget the configuration checks is the
 * server's. `policyName`/`selector`/`port` wire it into a NetworkPolicySet.
 */
import { ApiObject, Duration, JsonPatch, Size } from 'cdk8s';
import * as kplus from 'cdk8s-plus-33';
import { Construct } from 'constructs';
import { SECRET_KEYS } from '@todo/contract';
import type { InClusterDatabaseConfig } from '../config/schema';
import { bytesProblem, canonicalQuantity, DNS_LABEL, imageRefProblem } from '../config/syntax';
import { limitBelowRequestProblem } from '../rules';
import { invariant } from './invariant';
import type { PolicyTarget } from './network';
import { resourceRequirements } from './resources';
import { kplusContainerSecurity, kplusPodSecurity, podSecurityContext } from './security';

export const POSTGRES_UID = 999;
const DATA_MOUNT = '/var/lib/postgresql/data';

/** The database settings the construct uses, as the configuration schema types them. */
export type PostgresSettings = Pick<InClusterDatabaseConfig, 'image' | 'storage' | 'storageClassName' | 'user' | 'database' | 'maxConnections' | 'resources'>;

export interface PostgresProps {
  /** Name of the StatefulSet, its headless Service and ServiceAccount, and the pods' `app.kubernetes.io/name` (a DNS label). */
  readonly name: string;
  /**
   * Name of the ConfigMap with POSTGRES_USER, POSTGRES_DB and PGDATA.
   * @default `${name}-config`
   */
  readonly configMapName?: string;
  /**
   * Labels every object carries (the release labels).
   * @default {}
   */
  readonly labels?: Record<string, string>;
  /** Image, volume size and class, user, database, max_connections and resources (charts/config/schema.ts). */
  readonly settings: PostgresSettings;
  /**
   * TCP port of the server and the Service.
   * @default 5432
   */
  readonly port?: number;
  /** Secret whose key `postgres-password` (`SECRET_KEYS.postgresPassword`) initializes the superuser password. */
  readonly secretName: string;
  /**
   * Secret of type kubernetes.io/dockerconfigjson for pulling the image.
   * @default - anonymous pulls
   */
  readonly imagePullSecret?: string;
  /**
   * PriorityClass of the pod.
   * @default - the cluster's default priority
   */
  readonly priorityClassName?: string;
  /**
   * Where the ServiceAccount and ConfigMap go (see AppTier).
   * @default this construct
   */
  readonly configScope?: Construct;
}

export class Postgres extends Construct implements PolicyTarget {
  readonly selector: Record<string, string>;
  readonly service: kplus.Service;
  readonly statefulSet: kplus.StatefulSet;
  readonly configMap: kplus.ConfigMap;
  readonly serviceAccount: kplus.ServiceAccount;
  readonly policyName = 'allow-postgres';
  readonly port: number;

  constructor(scope: Construct, id: string, props: PostgresProps) {
    super(scope, id);
    const db = props.settings;
    this.port = props.port ?? 5432;
    const configMapName = props.configMapName ?? `${props.name}-config`;
    invariant(this, 'name', DNS_LABEL.test(props.name) ? undefined : `"${props.name}" is not a DNS label`);
    invariant(this, 'settings.image', imageRefProblem(db.image));
    invariant(this, 'settings.storage', bytesProblem(db.storage, 2 ** 20, 'storage'));
    invariant(this, 'settings.maxConnections', Number.isInteger(db.maxConnections) && db.maxConnections >= 10 ? undefined : `${db.maxConnections} must be a whole number of at least 10`);
    for (const res of ['cpu', 'memory'] as const) invariant(this, `settings.resources.limits.${res}`, limitBelowRequestProblem(db.resources.requests[res], db.resources.limits[res]));

    const releaseLabels = props.labels ?? {};
    this.selector = {
      'app.kubernetes.io/name': props.name,
      ...(releaseLabels['app.kubernetes.io/instance'] && { 'app.kubernetes.io/instance': releaseLabels['app.kubernetes.io/instance'] }),
      'app.kubernetes.io/component': 'database',
    };
    const labels = { ...releaseLabels, ...this.selector };
    const cfgScope = props.configScope ?? this;
    const cfgId = (kind: string) => (props.configScope ? `${id}${kind}` : kind);
    this.serviceAccount = new kplus.ServiceAccount(cfgScope, cfgId('ServiceAccount'), { metadata: { name: props.name, labels }, automountToken: false });
    this.configMap = new kplus.ConfigMap(cfgScope, cfgId('ConfigMap'), {
      metadata: { name: configMapName, labels },
      data: { POSTGRES_USER: db.user, POSTGRES_DB: db.database, PGDATA: `${DATA_MOUNT}/pgdata` },
    });
    const fromConfig = (key: string) => kplus.EnvValue.fromConfigMap(this.configMap, key);
    const ready = ['pg_isready', '-h', '127.0.0.1', '-p', String(this.port), '-U', db.user, '-d', db.database];
    const timing = (periodSeconds: number, failureThreshold: number) => ({ periodSeconds: Duration.seconds(periodSeconds), failureThreshold, timeoutSeconds: Duration.seconds(3) });

    this.service = new kplus.Service(this, 'Service', {
      metadata: { name: props.name, labels },
      clusterIP: 'None',
      ports: [{ name: 'postgres', port: this.port, targetPort: this.port, protocol: kplus.Protocol.TCP }],
    });
    for (const [k, v] of Object.entries(this.selector)) this.service.selectLabel(k, v);

    const data = kplus.Volume.fromPersistentVolumeClaim(this, 'Data', kplus.PersistentVolumeClaim.fromClaimName(this, 'DataClaim', 'data'), { name: 'data' });
    this.statefulSet = new kplus.StatefulSet(this, 'StatefulSet', {
      metadata: { name: props.name, labels },
      select: false,
      podMetadata: { labels },
      service: this.service,
      replicas: 1,
      serviceAccount: this.serviceAccount,
      automountServiceAccountToken: false,
      enableServiceLinks: false,
      terminationGracePeriod: Duration.seconds(60),
      securityContext: kplusPodSecurity(POSTGRES_UID, POSTGRES_UID),
      dockerRegistryAuth: props.imagePullSecret ? kplus.Secret.fromSecretName(this, 'PullSecret', props.imagePullSecret) : undefined,
      containers: [
        {
          name: 'postgres',
          image: db.image,
          imagePullPolicy: kplus.ImagePullPolicy.IF_NOT_PRESENT,
          args: ['-c', `max_connections=${db.maxConnections}`],
          ports: [{ name: 'postgres', number: this.port, protocol: kplus.Protocol.TCP }],
          envVariables: {
            POSTGRES_USER: fromConfig('POSTGRES_USER'),
            POSTGRES_DB: fromConfig('POSTGRES_DB'),
            PGDATA: fromConfig('PGDATA'),
            POSTGRES_PASSWORD: kplus.EnvValue.fromSecretValue({ secret: kplus.Secret.fromSecretName(this, 'Secret', props.secretName), key: SECRET_KEYS.postgresPassword }),
          },
          securityContext: kplusContainerSecurity(POSTGRES_UID, POSTGRES_UID),
          resources: {}, // set below in canonical form (see AppTier)
          startup: kplus.Probe.fromCommand(ready, timing(2, 60)),
          readiness: kplus.Probe.fromCommand(ready, timing(5, 3)),
          liveness: kplus.Probe.fromTcpSocket({ port: this.port, ...timing(10, 6) }),
          volumeMounts: [
            { path: DATA_MOUNT, volume: data },
            { path: '/var/run/postgresql', volume: kplus.Volume.fromEmptyDir(this, 'Run', 'run', { sizeLimit: Size.mebibytes(16) }) },
            { path: '/tmp', volume: kplus.Volume.fromEmptyDir(this, 'Tmp', 'tmp', { sizeLimit: Size.mebibytes(64) }) },
          ],
        },
      ],
    });
    this.statefulSet.select(kplus.LabelSelector.of({ labels: this.selector }));
    this.statefulSet.addVolumeClaimTemplate({ name: 'data' });

    const pod = '/spec/template/spec';
    ApiObject.of(this.statefulSet).addJsonPatch(
      JsonPatch.add(`${pod}/securityContext/seccompProfile`, podSecurityContext(POSTGRES_UID, POSTGRES_UID).seccompProfile), // not in cdk8s-plus
      JsonPatch.add(`${pod}/containers/0/resources`, resourceRequirements(db.resources)), // canonical form (see AppTier)
      JsonPatch.remove('/spec/minReadySeconds'), // 0: the API server omits it
      JsonPatch.remove(`${pod}/hostNetwork`), // false: the API server omits it
      // cdk8s-plus drops the claim template's labels (immutable once deployed: a StatefulSet deployed with them could
      // no longer be updated); the template itself is written below
      JsonPatch.remove('/spec/volumeClaimTemplates'),
      ...(props.priorityClassName ? [JsonPatch.add(`${pod}/priorityClassName`, props.priorityClassName)] : []), // not in cdk8s-plus
    );
    // The claim template in the form the API server stores it (a whole PVC: apiVersion, kind, creationTimestamp null,
    // volumeMode, status), so a client-side `kubectl apply` finds it equal: the list has no merge key and kubectl
    // compares it as a whole. Set after the L1 object's JSON mapping, which keeps only its typed fields (no
    // apiVersion, kind or status; a null time dropped).
    const claimTemplate = {
      apiVersion: 'v1',
      kind: 'PersistentVolumeClaim',
      metadata: { creationTimestamp: null, labels, name: 'data' },
      spec: {
        accessModes: ['ReadWriteOnce'],
        resources: { requests: { storage: canonicalQuantity(db.storage) } },
        ...(db.storageClassName !== undefined && { storageClassName: db.storageClassName }),
        volumeMode: 'Filesystem',
      },
      status: { phase: 'Pending' },
    };
    const sts = ApiObject.of(this.statefulSet);
    const toJson = sts.toJson.bind(sts);
    sts.toJson = () => {
      const json = toJson();
      json.spec.volumeClaimTemplates = [claimTemplate];
      return json;
    };
    // cdk8s-plus always writes `externalIPs: []`, which the API server stores as absent
    ApiObject.of(this.service).addJsonPatch(JsonPatch.remove('/spec/externalIPs'));
  }
}
