// tsc compiles TypeScript only; the SQL migrations travel beside the compiled store.
import { cpSync, rmSync } from 'node:fs';

const target = new URL('../dist/store/migrations/', import.meta.url);
rmSync(target, { recursive: true, force: true });
cpSync(new URL('../src/store/migrations/', import.meta.url), target, { recursive: true });
