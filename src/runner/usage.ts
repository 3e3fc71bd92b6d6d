import { readFileSync } from 'node:fs';
import type { UsageWindow } from '../board/processes.js';
import { join } from 'node:path';

/**
 * How much of a usage window is spent, read from a usage endpoint (Claude's OAuth usage API by
 * default: `{five_hour: {utilization: 0–100, resets_at}, seven_day: {…}}`), so a run can pause
 * before it hits the limit. The token comes from ORCHESTRATOR_USAGE_TOKEN, CLAUDE_CODE_OAUTH_TOKEN
 * or Claude Code's ~/.claude/.credentials.json; it is sent to the endpoint and nowhere else, never
 * logged. Readings are kept for 30 s, so a busy run asks at most twice a minute.
 */
export interface UsageReading {
  /** The fullest window's share, 0..1. */
  utilization: number;
  window: string;
  resets_at: string | null;
  /** Every window the endpoint named (the accounts' view on the board keeps them). */
  windows: UsageWindow[];
}

export const CLAUDE_USAGE_URL = 'https://api.anthropic.com/api/oauth/usage';

/** The token for the usage endpoint: $ORCHESTRATOR_USAGE_TOKEN, else Claude Code's own OAuth token. */
export function usageToken(env: Record<string, string | undefined>, home: string): string | null {
  if (env.ORCHESTRATOR_USAGE_TOKEN) return env.ORCHESTRATOR_USAGE_TOKEN;
  if (env.CLAUDE_CODE_OAUTH_TOKEN) return env.CLAUDE_CODE_OAUTH_TOKEN;
  try {
    const credentials = JSON.parse(readFileSync(join(env.CLAUDE_CONFIG_DIR ?? join(home, '.claude'), '.credentials.json'), 'utf8')) as { claudeAiOauth?: { accessToken?: string } };
    return credentials.claudeAiOauth?.accessToken ?? null;
  } catch {
    return null;
  }
}

/** The fullest window of a usage answer; null when the endpoint cannot be read (the caller goes on). */
export async function readUsage(url: string, token: string, timeoutMs = 10_000): Promise<UsageReading | null> {
  try {
    const response = await fetch(url, { headers: { authorization: `Bearer ${token}`, 'anthropic-beta': 'oauth-2025-04-20' }, signal: AbortSignal.timeout(timeoutMs) });
    if (!response.ok) return null;
    const body = (await response.json()) as Record<string, { utilization?: unknown; resets_at?: unknown } | null>;
    let fullest: Omit<UsageReading, 'windows'> | null = null;
    const windows: UsageWindow[] = [];
    for (const [window, value] of Object.entries(body ?? {})) {
      if (!value || typeof value.utilization !== 'number') continue;
      const share = value.utilization / 100;
      const resets = typeof value.resets_at === 'string' ? value.resets_at : null;
      windows.push({ name: window, used: share, resets_at: resets, source: 'usage endpoint' });
      if (!fullest || share > fullest.utilization) fullest = { utilization: share, window, resets_at: resets };
    }
    return fullest ? { ...fullest, windows } : null;
  } catch {
    return null;
  }
}

/** A reader that asks the endpoint at most every `maxAgeMs`. */
export function cachedUsage(url: string, token: string, maxAgeMs = 30_000): () => Promise<UsageReading | null> {
  let last: { at: number; reading: UsageReading | null } | null = null;
  return async () => {
    if (last && Date.now() - last.at < maxAgeMs) return last.reading;
    last = { at: Date.now(), reading: await readUsage(url, token) };
    return last.reading;
  };
}

/** The usage endpoint's reader when there is a token to read it with ($ORCHESTRATOR_USAGE_URL, default Claude's), else undefined. */
export function usageFrom(env: Record<string, string | undefined>, home: string): (() => Promise<UsageReading | null>) | undefined {
  const token = usageToken(env, home);
  if (!token) return undefined;
  return cachedUsage(env.ORCHESTRATOR_USAGE_URL ?? CLAUDE_USAGE_URL, token, Number(env.ORCHESTRATOR_USAGE_MAX_AGE_MS ?? 30_000));
}
