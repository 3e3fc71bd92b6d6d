import { readdirSync } from 'node:fs';
import type { ResourceDefinition } from './resource.js';
import type { ToolDefinition } from './tool.js';

/**
 * Finds the tools and resources: every module in `tools/` and `resources/` default-exports one
 * definition. Adding a tool or a resource is adding one file.
 */
export interface Registry {
  tools: ToolDefinition[];
  resources: ResourceDefinition[];
}

async function loadFolder<T>(folder: URL): Promise<T[]> {
  const files = readdirSync(folder).filter((file) => /\.(js|ts)$/.test(file) && !file.endsWith('.d.ts')).sort();
  return Promise.all(files.map(async (file) => (await import(new URL(file, folder).href) as { default: T }).default));
}

let loaded: Promise<Registry> | undefined;

export function loadRegistry(): Promise<Registry> {
  loaded ??= (async () => {
    const [tools, resources] = await Promise.all([
      loadFolder<ToolDefinition>(new URL('./tools/', import.meta.url)),
      loadFolder<ResourceDefinition>(new URL('./resources/', import.meta.url)),
    ]);
    const names = new Set<string>();
    for (const tool of tools) {
      if (names.has(tool.name)) throw new Error(`two tools are named ${tool.name}`);
      names.add(tool.name);
    }
    return { tools, resources };
  })();
  return loaded;
}
