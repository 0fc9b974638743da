import { isIP } from 'node:net';
import { classifyAddress } from '../../shared/net/private-address';
import type { Finding } from '../agents/agent-rules';

/** Phrases that try to make a model drop its instructions. */
const INSTRUCTION_OVERRIDE = [
  /\b(ignore|disregard|forget|override)\s+(all\s+|any\s+)?(of\s+)?(the\s+|your\s+|my\s+)?(previous|prior|above|earlier|preceding|system)\s+(instructions|prompts?|rules|directions|guidelines)/i,
  /\byou\s+(are|have)\s+no\s+longer\s+(bound|restricted)\b/i,
  /\bnew\s+instructions\s*:\s*ignore\b/i,
];

/** Well-known jailbreak personas and asks. */
const JAILBREAK = [
  /\bDAN\b.{0,40}\b(do\s+anything\s+now)\b/i,
  /\bdo\s+anything\s+now\b/i,
  /\b(developer|god|jailbreak|unrestricted)\s+mode\b/i,
  /\bwithout\s+(any\s+)?(restrictions|filters|guardrails|safety\s+guidelines)\b/i,
  /\bbypass\s+(all\s+|your\s+)?(safety|content)\s+(filters|policies|guidelines)\b/i,
];

/** Credentials that must never sit in a prompt. */
const SECRET_PATTERNS: Array<[RegExp, string]> = [
  [/-----BEGIN ((RSA|EC|DSA|OPENSSH|ENCRYPTED|PGP) )?PRIVATE KEY( BLOCK)?-----/, 'a private key'],
  [/\bsk-(proj-|live-|test-)?[A-Za-z0-9_-]{20,}/, 'an OpenAI-style API key'],
  [/\bsk-ant-[A-Za-z0-9_-]{20,}/, 'an Anthropic API key'],
  [/\b(AKIA|ASIA)[0-9A-Z]{16}\b/, 'an AWS access key'],
  [/\bgh[pousr]_[A-Za-z0-9]{36,}\b/, 'a GitHub token'],
  [/\bxox[abpors]-[A-Za-z0-9-]{10,}/, 'a Slack token'],
  [/\bAIza[0-9A-Za-z_-]{35}\b/, 'a Google API key'],
  [/\bagt_[A-Za-z0-9_-]{20,}/, 'an Agentry API key'],
];

function firstMatch(text: string, patterns: RegExp[]): string | undefined {
  for (const pattern of patterns) {
    const match = pattern.exec(text);
    if (match) return match[0];
  }
  return undefined;
}

/** Safety lint of prompt-like text at `path`: overrides, jailbreaks and pasted secrets. */
export function lintText(
  text: string | null | undefined,
  path: string,
  severity: 'error' | 'warning' = 'error',
): Finding[] {
  if (!text) return [];
  const findings: Finding[] = [];
  const override = firstMatch(text, INSTRUCTION_OVERRIDE);
  if (override) {
    findings.push({
      severity,
      code: 'INSTRUCTION_OVERRIDE',
      path,
      message: `Contains an instruction-override phrase ("${override.slice(0, 60)}")`,
    });
  }
  const jailbreak = firstMatch(text, JAILBREAK);
  if (jailbreak) {
    findings.push({
      severity,
      code: 'JAILBREAK_PHRASE',
      path,
      message: `Contains a jailbreak phrase ("${jailbreak.slice(0, 60)}")`,
    });
  }
  for (const [pattern, what] of SECRET_PATTERNS) {
    // Never echo the secret itself: the finding is answered and may be logged.
    if (pattern.test(text)) {
      findings.push({
        severity,
        code: 'SECRET_IN_PROMPT',
        path,
        message: `Looks like ${what} pasted into the text; put secrets in a component's secret fields`,
      });
    }
  }
  return findings;
}

/** `link-local` (cloud metadata and the like), `private` (loopback, RFC 1918, ULA) or null. */
export function addressClass(url: string): 'link-local' | 'private' | null {
  let host: string;
  try {
    host = new URL(url).hostname.replace(/^\[|\]$/g, '').toLowerCase();
  } catch {
    return null;
  }
  if (host === 'metadata.google.internal' || host === 'metadata') return 'link-local';
  if (
    host === 'localhost' ||
    host.endsWith('.localhost') ||
    host.endsWith('.internal') ||
    host.endsWith('.local')
  )
    return 'private';
  if (isIP(host) === 0) return null;
  const kind = classifyAddress(host);
  return kind === 'public' ? null : kind;
}

/**
 * Where a tool or knowledge source sends requests. Link-local addresses (cloud metadata services)
 * are refused; private ones are a warning, since an execution service may allow-list them.
 */
export function lintUrl(url: unknown, path: string): Finding[] {
  if (typeof url !== 'string') return [];
  const kind = addressClass(url);
  if (kind === 'link-local') {
    return [
      {
        severity: 'error',
        code: 'URL_LINK_LOCAL',
        path,
        message: 'The URL points at a link-local address (such as a cloud metadata service)',
      },
    ];
  }
  if (kind === 'private') {
    return [
      {
        severity: 'warning',
        code: 'URL_PRIVATE',
        path,
        message:
          'The URL points at a private or loopback address; execution services refuse it unless allow-listed',
      },
    ];
  }
  return [];
}

/** Safety lint of a component config as PUT (with its `type`). */
export function lintComponent(config: Record<string, unknown>): Finding[] {
  const findings: Finding[] = [];
  const http = config.http as { url?: unknown } | undefined;
  const retrieval = config.http_retrieval as { url?: unknown } | undefined;
  if (config.type === 'tool') {
    findings.push(...lintUrl(http?.url, '/config/http/url'));
    // A tool's description is read by the model: an injection there works like one in a prompt.
    findings.push(...lintText(config.description as string | undefined, '/config/description'));
  }
  if (config.type === 'knowledge') findings.push(...lintUrl(retrieval?.url, '/config/http_retrieval/url'));
  return findings;
}

/** Safety lint of an agent config. */
export function lintAgent(config: { system_prompt: string | null; description: string | null }): Finding[] {
  return [
    ...lintText(config.system_prompt, '/system_prompt'),
    ...lintText(config.description, '/description', 'warning'),
  ];
}
