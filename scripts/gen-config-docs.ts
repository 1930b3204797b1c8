/**
 * Writes docs/configuration.md from the typed definitions (see charts/config/docs.ts).
 *   npm run docs:config            write the file
 *   npm run docs:config -- --check exit 1 if the committed file is stale
 */
import fs from 'node:fs';
import path from 'node:path';
import { renderConfigDocs } from '../charts/config/docs';

const file = path.join(__dirname, '..', 'docs', 'configuration.md');
const text = renderConfigDocs();
if (process.argv.includes('--check')) {
  const current = fs.existsSync(file) ? fs.readFileSync(file, 'utf8') : '';
  if (current !== text) {
    console.error('docs/configuration.md is stale: run npm run docs:config');
    process.exit(1);
  }
} else {
  fs.writeFileSync(file, text);
  console.log('wrote docs/configuration.md');
}
