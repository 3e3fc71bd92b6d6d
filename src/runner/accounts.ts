import { createHash } from 'node:crypto';

/**
 * Which account a CLI runs on, from the environment it is given: its API key (named by a short
 * hash, never the key), Claude Code's OAuth token, else its login's folder (CLAUDE_CONFIG_DIR,
 * CODEX_HOME, GEMINI_CLI_HOME), else its default login. Two hosts with the same key are one
 * account; the same default login on two hosts is named alike too (`login:default`).
 */
export function accountOf(cli: string, env: Record<string, string | undefined>): string {
  const key = cli === 'claude' ? env.ANTHROPIC_API_KEY : cli === 'codex' ? (env.CODEX_API_KEY ?? env.OPENAI_API_KEY) : cli === 'gemini' ? (env.GEMINI_API_KEY ?? env.GOOGLE_API_KEY) : undefined;
  if (key) return `api-key:${short(key)}`;
  if (cli === 'claude' && env.CLAUDE_CODE_OAUTH_TOKEN) return `login:token-${short(env.CLAUDE_CODE_OAUTH_TOKEN)}`;
  const home = cli === 'claude' ? env.CLAUDE_CONFIG_DIR : cli === 'codex' ? env.CODEX_HOME : cli === 'gemini' ? env.GEMINI_CLI_HOME : undefined;
  return home ? `login:${home}` : 'login:default';
}

const short = (secret: string) => createHash('sha256').update(secret).digest('hex').slice(0, 8);
