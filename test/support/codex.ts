// Codex CLI (the pinned devDependency) against the fake model server: a scratch HOME and
// CODEX_HOME whose config.toml names the fake server as the model provider. It never sees the
// real user's config or the network.
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { tempDir } from './backends.js';
import { cleanEnv } from './cli.js';

export const CODEX = new URL('../../node_modules/.bin/codex', import.meta.url).pathname;

/** The environment of a Codex run: scratch homes and a provider pointing at the fake model. */
export function codexEnv(modelUrl: string, home = tempDir('orchestrator-codex-home-')): Record<string, string> {
  const codexHome = join(home, '.codex');
  mkdirSync(codexHome, { recursive: true });
  writeFileSync(
    join(codexHome, 'config.toml'),
    [
      'model = "gpt-5"',
      'model_provider = "fake"',
      '[model_providers.fake]',
      'name = "fake"',
      `base_url = "${modelUrl}/v1"`,
      'env_key = "FAKE_OPENAI_KEY"',
      'wire_api = "responses"',
      'request_max_retries = 0',
      'stream_max_retries = 0',
      '[analytics]',
      'enabled = false',
      '[features]',
      'plugins = false',
      'unbounded_connection_retries = false',
      '',
    ].join('\n'),
  );
  return { ...cleanEnv(), HOME: home, CODEX_HOME: codexHome, FAKE_OPENAI_KEY: 'test-key-not-real' };
}
