import { realpathSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import { applyChanges, undoLatest } from '../../config/backup.js';
import { planSetup, skippedOwnFiles } from '../../setup/plan.js';
import { ensureStateDir, STATE_DIR } from '../../config/settings.js';
import { OrchestratorError } from '../../core/errors.js';
import { maskSecrets, withoutPassword } from '../../core/secrets.js';
import { onPath } from '../../runner/exec.js';
import { flag, type Handler } from '../call.js';

/**
 * How sessions and hooks run orchestrate: this very program by absolute path (works without
 * any install), or `--command <name>` on the PATH (portable, for a .mcp.json a team commits).
 */
function orchestrateCommand(command: string | undefined, path: string | undefined): string[] {
  if (command !== undefined) {
    if (!/^[\w./-]+$/.test(command)) throw new OrchestratorError('invalid_input', `--command '${command}' must be a program name or path (letters, digits, . _ / -)`);
    return [command];
  }
  const self = [process.execPath, fileURLToPath(new URL('../main.js', import.meta.url))];
  // Run through npx (or installed into a temporary folder), this program's path dies with the
  // cache: the files setup writes must name a program that stays — the one on the PATH, or none.
  // A source checkout is where its owner put it, even under /tmp.
  if (!temporaryInstall(self[1]!)) return self;
  if (onPath('orchestrate', path)) return ['orchestrate'];
  throw new OrchestratorError('invalid_input', `this orchestrate runs from a temporary place (${self[1]}), which the files setup writes must not name; install it (npm install -g claude-orchestrator) and run setup again, or pass --command <orchestrate program that stays>`);
}

function temporaryInstall(path: string): boolean {
  const parts = path.split(sep);
  const underTmp = [tmpdir(), realpathSync(tmpdir())].some((dir) => path.startsWith(`${dir}${sep}`));
  return parts.includes('_npx') || (underTmp && parts.includes('node_modules'));
}

/** `orchestrate setup`: make this project (or, with --global, your Claude Code) join the board. */
export const setup: Handler = async (call) => {
  const global = call.values.global === true;
  const root = global ? call.settings.home.value : call.settings.projectRoot.value;
  const backups = join(root, STATE_DIR, 'setup-backups');
  if (call.values.undo) {
    const undone = undoLatest(backups, 'setup');
    const lines = [...undone.restored.map((path) => `restored ${path}`), ...undone.removed.map((path) => `removed ${path}`)];
    return { data: undone, text: lines.length > 0 ? lines.join('\n') : 'nothing to restore' };
  }
  const http = flag(call, 'http') ?? null;
  if (http !== null && withoutPassword(http).removed) {
    throw new OrchestratorError('invalid_input', `--http ${maskSecrets(http)} holds a password, which would be written into the file; pass the URL without it, and the secret with --token (sessions send it from ORCHESTRATOR_TOKEN)`);
  }
  // A board password is never written into files a team commits: the entries name the board
  // without it, and the sessions' environment supplies it (PGPASSWORD, or ~/.pgpass).
  const db = call.settings.db.source === 'flag' ? withoutPassword(call.settings.db.value) : null;
  const changes = planSetup({
    root,
    global,
    name: flag(call, 'name') ?? null,
    role: flag(call, 'role') ?? null,
    http,
    hooks: call.values.hooks === true,
    orchestrate: orchestrateCommand(flag(call, 'command'), call.env.PATH),
    db: db?.url ?? null,
    token: call.settings.token.value !== null,
  });
  const skipped = skippedOwnFiles(root).map((path) => `left alone (not written by setup): ${path}`);
  const dryRun = call.values['dry-run'] === true;
  if (changes.length > 0 && !dryRun) ensureStateDir(root);
  const backup = changes.length === 0 || dryRun ? null : applyChanges(changes, backups, new Date());
  const lines = changes.map((change) => `${dryRun ? 'would change' : 'changed'} ${change.path}: ${change.summary}`);
  if (changes.length === 0) lines.push('already set up: nothing to change');
  if (backup) lines.push(`backup: ${backup} ('orchestrate setup${global ? ' --global' : ''} --undo' restores it)`);
  if (db?.removed) lines.push('the board\'s password is not written to these files: sessions and hooks read it from PGPASSWORD (or ~/.pgpass) in their environment');
  if (call.settings.token.value !== null && flag(call, 'http') && !dryRun) lines.push('sessions send the token from their ORCHESTRATOR_TOKEN environment variable (the secret is not written to the file)');
  if (!global && !dryRun) lines.push("sessions started here can use the board; in 'claude -p', tools are allowed by .claude/settings.json (or pass --allowedTools mcp__orchestrator)");
  return {
    data: { dry_run: dryRun, changes: changes.map(({ path, summary, before, after }) => ({ path, summary, before, after })), backup, skipped },
    text: maskSecrets([...lines, ...skipped].join('\n')),
  };
};
