import fs from 'node:fs';
import path from 'node:path';
import { BACKEND_ENV, FRONTEND_ENV, MIGRATE_ENV } from '@todo/contract';
import { renderConfigDocs } from '../charts/config/docs';

describe('docs/configuration.md', () => {
  const rendered = renderConfigDocs();

  test('is up to date with the schema, the environments and the contract (run `npm run docs:config`)', () => {
    const committed = fs.readFileSync(path.join(__dirname, '..', 'docs', 'configuration.md'), 'utf8');
    expect(committed).toBe(rendered);
  });

  test('documents every application variable and every top-level environment field', () => {
    for (const spec of [...Object.values(BACKEND_ENV), ...Object.values(MIGRATE_ENV), ...Object.values(FRONTEND_ENV)]) expect(rendered).toContain(`| \`${spec.name}\` |`);
    for (const field of ['replicas', 'hpa.minReplicas', 'pdb.maxUnavailable', 'gateway.hosts', 'gateway.tls.issuer.kind', 'ingress.hosts', 'monitoring.scraper.namespace', 'database (kind external).egress.cidrs', 'database (kind in-cluster).image', 'secretName']) {
      expect(rendered).toMatch(new RegExp(`^\\| (\\*\\*)?${field.replace(/[().]/g, '\\$&')}(\\*\\*)? \\|`, 'm'));
    }
  });
});
