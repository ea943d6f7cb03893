/** Writes openapi.json at the repository root: `npm run openapi` (run it after changing a route or DTO). */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { generateOpenApiDocument } from '../src/openapi';

void generateOpenApiDocument().then((doc) => {
  const file = join(__dirname, '..', 'openapi.json');
  writeFileSync(file, `${JSON.stringify(doc, null, 2)}\n`);
  console.log(`wrote ${file}: ${Object.keys(doc.paths).length} paths`);
  process.exit(0);
});
