// tsc compiles TypeScript only; the data files travel beside the compiled code: the SQL
// migrations beside the store, the built-in workflow templates beside the flows, the web page
// beside its server.
import { cpSync, rmSync } from 'node:fs';

for (const folder of ['store/migrations/', 'flows/workflow-templates/', 'views/web/page/']) {
  const target = new URL(`../dist/${folder}`, import.meta.url);
  rmSync(target, { recursive: true, force: true });
  cpSync(new URL(`../src/${folder}`, import.meta.url), target, { recursive: true });
}
