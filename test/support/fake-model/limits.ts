// The vendors' usage-limit refusals as the fake model sends them (facts: shared/notes/agent-clis.md,
// checked against the pinned CLIs). Each is a turn whose reset is computed when the request comes,
// `seconds` after it; `resets` lists the resets it sent (epoch seconds), for the test to compare.
import type { Turn } from './scenario.js';

const at = (seconds: number) => Math.floor(Date.now() / 1000) + seconds;

export type LimitTurn = Turn & { resets: number[] };

/**
 * Anthropic: HTTP 429 with the unified rate-limit headers. Claude Code with a subscription login
 * streams a rate_limit_event and ends "You've hit your 5-hour limit · resets 9:25pm (UTC)".
 */
export function anthropicUsageLimit(seconds: number, window: 'five_hour' | 'seven_day' = 'five_hour'): LimitTurn {
  const resets: number[] = [];
  return {
    resets,
    get error() {
      const reset = at(seconds);
      resets.push(reset);
      const later = reset + 3 * 86_400;
      const fiveHour = window === 'five_hour';
      return {
        status: 429,
        type: 'rate_limit_error',
        message: "This request would exceed your account's rate limit. Please try again later.",
        headers: {
          'anthropic-ratelimit-unified-status': 'rejected',
          'anthropic-ratelimit-unified-reset': String(reset),
          'anthropic-ratelimit-unified-representative-claim': window,
          'anthropic-ratelimit-unified-5h-utilization': fiveHour ? '1.0' : '0.3',
          'anthropic-ratelimit-unified-5h-reset': String(fiveHour ? reset : at(3600)),
          'anthropic-ratelimit-unified-5h-status': fiveHour ? 'rejected' : 'allowed',
          'anthropic-ratelimit-unified-7d-utilization': fiveHour ? '0.4' : '1.0',
          'anthropic-ratelimit-unified-7d-reset': String(fiveHour ? later : reset),
          'anthropic-ratelimit-unified-7d-status': fiveHour ? 'allowed' : 'rejected',
          'retry-after': String(seconds),
        },
      };
    },
  };
}

/**
 * OpenAI Responses: HTTP 429 `usage_limit_reached` with the x-codex-* window headers. Codex ends
 * "You’ve hit your usage limit. … try again at <time>." and writes the windows to its session file.
 */
export function openaiUsageLimit(seconds: number, secondaryUsedPercent = 42): LimitTurn {
  const resets: number[] = [];
  return {
    resets,
    get error() {
      const reset = at(seconds);
      resets.push(reset);
      return {
        status: 429,
        type: 'usage_limit_reached',
        message: 'The usage limit has been reached',
        headers: {
          'x-codex-primary-used-percent': '100',
          'x-codex-primary-window-minutes': '300',
          'x-codex-primary-reset-at': String(reset),
          'x-codex-secondary-used-percent': String(secondaryUsedPercent),
          'x-codex-secondary-window-minutes': '10080',
          'x-codex-secondary-reset-at': String(reset + 4 * 86_400),
        },
        fields: { plan_type: 'plus', resets_at: reset, resets_in_seconds: seconds },
      };
    },
  };
}

/** Gemini: HTTP 429 RESOURCE_EXHAUSTED with a per-day quota id; Gemini CLI names no reset. */
export function geminiDailyQuota(): LimitTurn {
  return {
    resets: [],
    error: {
      status: 429,
      type: 'RESOURCE_EXHAUSTED',
      message: 'You exceeded your current quota, please check your plan and billing details.',
      fields: {
        details: [{
          '@type': 'type.googleapis.com/google.rpc.QuotaFailure',
          violations: [{ quotaMetric: 'generativelanguage.googleapis.com/generate_content_free_tier_requests', quotaId: 'GenerateRequestsPerDayPerProjectPerModel-FreeTier', quotaValue: '100' }],
        }],
      },
    },
  };
}
