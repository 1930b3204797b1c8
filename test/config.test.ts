/** Bad configurations stop synth with one message naming the environment and the field. */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import {
  ConfigError,
  ENVIRONMENTS,
  ENVIRONMENT_NAMES,
  overridesFromEnv,
  resolveConfig,
  resolveEnvironment,
  type EnvironmentInput,
} from '../charts/config';
import { synthesizeAll } from '../charts/synth';

const base = ENVIRONMENTS.production as EnvironmentInput;
const tag = { imageTag: 'v1' };
const bad = (patch: (e: any) => void, overrides = tag) => {
  const input = structuredClone(base) as any;
  patch(input);
  return () => resolveConfig('production', input, overrides);
};

describe('validation', () => {
  test.each([
    ['HPA min > max', (e: any) => (e.hpa = { ...e.hpa, minReplicas: 5, maxReplicas: 3 }), 'environment "production": hpa.minReplicas (5) must not exceed hpa.maxReplicas (3)'],
    [
      'PDB on a single replica',
      (e: any) => {
        delete e.hpa;
        e.replicas = 1;
      },
      'environment "production": pdb: a PodDisruptionBudget on 1 replica would block every node drain',
    ],
    ['PDB that never allows an eviction', (e: any) => (e.pdb = { maxUnavailable: 3 }), 'environment "production": pdb.maxUnavailable (3) must be below the fewest replicas (3)'],
    ['bad host name', (e: any) => (e.ingress.hosts = ['Todo_Example.com']), 'environment "production": ingress.hosts.0: "Todo_Example.com" is not a valid host name'],
    ['replicas < 1', (e: any) => (e.replicas = 0), 'environment "production": replicas: Too small'],
    ['unknown field', (e: any) => (e.replica = 3), 'environment "production": Unrecognized key: "replica"'],
    ['NodePort without port', (e: any) => (e.frontendService = { type: 'NodePort' }), 'environment "production": frontendService.nodePort: is required'],
  ])('%s', (_title, patch, message) => {
    expect(bad(patch)).toThrow(ConfigError);
    expect(bad(patch)).toThrow(message);
  });

  test.each([
    ['image without tag or digest', { backendImage: 'registry.example.com/todo/todo-backend' }, 'environment "production": backend.image ("registry.example.com/todo/todo-backend") needs a tag or a @sha256 digest'],
    ['latest tag', { frontendImage: 'todo-frontend:latest' }, 'environment "production": frontend.image ("todo-frontend:latest") must not use the tag latest'],
    ['malformed image', { backendImage: 'Not An Image' }, 'environment "production": backend.image ("Not An Image") is not a valid image reference'],
    ['bad registry override', { imageRegistry: 'https://registry' }, 'environment "production": images.registry: must be a registry host'],
    ['bad tag override', { imageTag: 'a tag' }, 'environment "production": images.tag: must be a valid image tag'],
    ['bad host override', { ingressHost: 'bad host' }, 'environment "production": ingress.hosts.0: "bad host" is not a valid host name'],
  ])('%s (override)', (_title, overrides, message) => {
    expect(() => resolveEnvironment('production', { imageTag: 'v1', ...overrides })).toThrow(message);
  });

  test('unknown environment', () => {
    expect(() => resolveEnvironment('prod')).toThrow('unknown environment "prod" (known: dev, e2e, staging, production)');
  });

  test('a message per problem, each naming environment and field', () => {
    const input = structuredClone(base) as any;
    input.replicas = 0;
    input.hpa.minReplicas = 20;
    let msg = '';
    try {
      resolveConfig('production', input, tag);
    } catch (e) {
      msg = (e as Error).message;
    }
    const lines = msg.split('\n');
    expect(lines).toHaveLength(2);
    expect(lines.every((l) => l.startsWith('environment "production": '))).toBe(true);
  });

  test('every shipped environment is valid', () => {
    for (const n of ENVIRONMENT_NAMES) expect(resolveEnvironment(n, tag).name).toBe(n);
  });

  test('overrides come from TODO_* variables', () => {
    expect(overridesFromEnv({ TODO_IMAGE_TAG: 'abc', TODO_INGRESS_HOST: 'x.example.com', TODO_IMAGE_REGISTRY: '', OTHER: '1' })).toEqual({
      imageTag: 'abc',
      ingressHost: 'x.example.com',
    });
  });

  test('without a tag override, images use the git revision (12 characters)', () => {
    const env = resolveEnvironment('dev');
    expect(env.images.backend).toMatch(/^todo-backend:[0-9a-f]{12}$/);
  });

  test('the resolved environment tells the ops tool how to reach the in-cluster database', () => {
    expect(resolveEnvironment('dev', tag).database).toEqual({
      kind: 'in-cluster',
      serviceName: 'todo-postgres',
      host: 'todo-postgres.todo-dev.svc.cluster.local',
      port: 5432,
      user: 'todo',
      database: 'todo',
    });
    expect(resolveEnvironment('production', tag).secretName).toBe('todo-secrets');
  });
});

describe('synthesizeAll', () => {
  let dir: string;
  beforeEach(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'todo-synth-'));
  });
  afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

  test('writes dist/<env>/ in apply order and leaves nothing temporary', () => {
    synthesizeAll(dir, ['dev', 'production'], tag);
    expect(fs.readdirSync(dir).sort()).toEqual(['dev', 'production']);
    expect(fs.readdirSync(path.join(dir, 'dev'))).toEqual(['00-namespace.k8s.yaml', '10-config.k8s.yaml', '20-workloads.k8s.yaml']);
  });

  test('a bad environment stops synth before anything is written or replaced', () => {
    synthesizeAll(dir, ['dev'], tag);
    const before = fs.readFileSync(path.join(dir, 'dev', '20-workloads.k8s.yaml'), 'utf8');
    expect(() => synthesizeAll(dir, ['dev', 'production'], { ...tag, frontendImage: 'todo-frontend:latest' })).toThrow(ConfigError);
    expect(fs.readdirSync(dir)).toEqual(['dev']);
    expect(fs.readFileSync(path.join(dir, 'dev', '20-workloads.k8s.yaml'), 'utf8')).toBe(before);
    expect(() => synthesizeAll(dir, ['nope'], tag)).toThrow('unknown environment "nope"');
    expect(fs.readdirSync(dir)).toEqual(['dev']);
  });
});
