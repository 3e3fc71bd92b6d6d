// Gemini CLI (the pinned devDependency) against the fake model server: a scratch HOME whose
// settings choose API-key auth, one attempt per request and no usage statistics. It never sees
// the real user's config or the network.
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { tempDir } from './backends.js';
import { cleanEnv } from './cli.js';

export const GEMINI = new URL('../../node_modules/.bin/gemini', import.meta.url).pathname;

/** The environment of a Gemini run: a scratch HOME (and temp folder: Gemini leaves its error reports there) and the fake model as the API endpoint. */
export function geminiEnv(modelUrl: string, home = tempDir('orchestrator-gemini-home-')): Record<string, string> {
  mkdirSync(join(home, '.gemini'), { recursive: true });
  mkdirSync(join(home, 'tmp'), { recursive: true });
  const settings = { security: { auth: { selectedType: 'gemini-api-key' } }, general: { maxAttempts: 1 }, privacy: { usageStatisticsEnabled: false } };
  writeFileSync(join(home, '.gemini', 'settings.json'), JSON.stringify(settings));
  return { ...cleanEnv(), HOME: home, GOOGLE_GEMINI_BASE_URL: modelUrl, GEMINI_API_KEY: 'test-key-not-real', GEMINI_CLI_NO_RELAUNCH: 'true', TMPDIR: join(home, 'tmp') };
}
