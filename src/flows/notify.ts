import type { NotificationSettings } from '../config/config-file.js';
import { onPath, runCommand } from '../runner/exec.js';

/**
 * Notifications about a run — completed, a phase failed, a phase blocked, the run escalated to a
 * person — by the provider the project's config.yaml names: desktop (`notify-send`, when it is on
 * the PATH), ntfy (a POST of the message to the topic's URL) or webhook (a JSON POST). Sending
 * never throws: it returns why it failed, for the run's log, and the run goes on.
 */
export type NotificationKind = 'completed' | 'failed' | 'blocked' | 'escalated';

export interface Notification {
  kind: NotificationKind;
  run_id: string;
  title: string;
  message: string;
  phase: string | null;
}

const NTFY_SERVER = 'https://ntfy.sh';
const TIMEOUT_MS = 10_000;
const TAGS: Record<NotificationKind, string> = { completed: 'white_check_mark', failed: 'x', blocked: 'warning', escalated: 'sos' };

/** Sends the notification; null when it went (or notifications are off), else why not. */
export async function notify(settings: NotificationSettings | null | undefined, note: Notification, env: Record<string, string | undefined>): Promise<string | null> {
  if (!settings || !settings.enabled || settings.provider === 'none') return null;
  try {
    switch (settings.provider) {
      case 'desktop': {
        const program = onPath('notify-send', env.PATH);
        if (!program) return 'desktop notifications need notify-send (libnotify) on the PATH';
        const sent = await runCommand(program, ['--app-name=claude-orchestrator', note.title, note.message], { cwd: '/', env, timeoutMs: TIMEOUT_MS });
        return sent.code === 0 ? null : `notify-send failed (exit ${sent.code ?? 'none'}): ${sent.stderr.trim().slice(0, 200)}`;
      }
      case 'ntfy': {
        if (!settings.topic) return 'ntfy notifications need a topic (notifications.topic in config.yaml)';
        const url = `${(settings.url ?? NTFY_SERVER).replace(/\/+$/, '')}/${encodeURIComponent(settings.topic)}`;
        const headers = { Title: headerSafe(note.title), Tags: TAGS[note.kind], Priority: note.kind === 'completed' ? 'default' : 'high' };
        return await post(url, note.message, headers);
      }
      case 'webhook': {
        if (!settings.url) return 'webhook notifications need a URL (notifications.url in config.yaml)';
        return await post(settings.url, JSON.stringify({ event: note.kind, run_id: note.run_id, phase: note.phase, title: note.title, message: note.message, at: new Date().toISOString() }), { 'Content-Type': 'application/json' });
      }
    }
  } catch (error) {
    return `notification failed: ${(error as Error).message}`;
  }
}

async function post(url: string, body: string, headers: Record<string, string>): Promise<string | null> {
  try {
    const response = await fetch(url, { method: 'POST', body, headers, signal: AbortSignal.timeout(TIMEOUT_MS) });
    await response.arrayBuffer();
    return response.ok ? null : `${url} answered ${response.status} ${response.statusText}`;
  } catch (error) {
    const cause = (error as { cause?: { code?: string; message?: string } }).cause;
    return `cannot reach ${url}: ${cause?.code ?? cause?.message ?? (error as Error).message}`;
  }
}

/** HTTP header values are Latin-1 without line breaks. */
function headerSafe(text: string): string {
  return text.replace(/[\r\n]+/g, ' ').replace(/[^\x20-\x7e\xa0-\xff]/g, '?');
}
