import type { z } from 'zod';

/**
 * What a configuration error says: for every bad setting its name, the value given (hidden for
 * secrets), what it accepts and its default, read from the setting's own zod schema, so a setting
 * added to config.ts later gets the same clear message with no extra work.
 */
export function configErrorMessage(shape: Record<string, z.ZodType>, issues: readonly z.core.$ZodIssue[], env: Record<string, string | undefined>): string {
  const lines = issues.map((issue) => {
    const name = String(issue.path[0] ?? '');
    const schema = shape[name];
    // A rule of its own (a format, or settings that exclude each other) says everything itself.
    if (issue.code === 'custom') return `  ${issue.message}`;
    if (!schema) return `  ${issue.path.join('.') || 'configuration'}: ${issue.message}`;
    const { accepts, fallback } = describeSetting(schema);
    const given = shownValue(name, env[name]);
    const what = accepts ?? issue.message;
    return `  ${name}=${given} is not valid: ${name} takes ${what}${fallback === undefined ? '' : ` (default ${fallback || 'empty'})`}`;
  });
  return `invalid configuration:\n${lines.join('\n')}\nEvery setting, its default and meaning: docs/CONFIG.md`;
}

/** What a setting's schema accepts, in words, and its default as text (undefined when it has none). */
export function describeSetting(schema: z.ZodType): { accepts: string | undefined; fallback: string | undefined } {
  let inner = schema as unknown as Node;
  let fallback: string | undefined;
  for (;;) {
    const def = inner.def;
    if (def.type === 'default') fallback = JSON.stringify(typeof def.defaultValue === 'function' ? (def.defaultValue as () => unknown)() : def.defaultValue);
    if (def.type === 'default' || def.type === 'optional' || def.type === 'nullable') inner = def.innerType!;
    else if (def.type === 'pipe' && def.out?.def.type === 'boolean') return { accepts: 'true or false (or 1/0, yes/no, on/off)', fallback };
    else if (def.type === 'pipe') inner = def.in!;
    else break;
  }
  return { accepts: acceptsOf(inner), fallback: fallback?.replace(/^"(.*)"$/, '$1') };
}

interface Node {
  def: { type: string; innerType?: Node; in?: Node; out?: Node; defaultValue?: unknown; format?: string; values?: unknown[]; entries?: Record<string, unknown> };
  minValue?: number | null;
  maxValue?: number | null;
  isInt?: boolean;
  minLength?: number | null;
  maxLength?: number | null;
  options?: unknown[];
}

function acceptsOf(node: Node): string | undefined {
  const { def } = node;
  switch (def.type) {
    case 'number': {
      const kind = node.isInt ? 'an integer' : 'a number';
      const min = finite(node.minValue);
      const max = finite(node.maxValue);
      if (min !== undefined && max !== undefined) return `${kind} from ${min} to ${max}`;
      if (min !== undefined) return `${kind} of at least ${min}`;
      if (max !== undefined) return `${kind} of at most ${max}`;
      return kind;
    }
    case 'enum':
      return `one of ${(node.options ?? Object.values(def.entries ?? {})).join(', ')}`;
    case 'boolean':
      return 'true or false';
    case 'string': {
      if (def.format === 'url') return 'a url such as redis://host:6379';
      if (def.format) return `a valid ${def.format}`;
      const min = node.minLength ?? undefined;
      const max = node.maxLength ?? undefined;
      if (min !== undefined && min > 1 && max !== undefined) return `text of ${min} to ${max} characters`;
      if (min !== undefined && min > 1) return `text of at least ${min} characters`;
      return 'non-empty text';
    }
    case 'literal':
      return (def.values ?? []).map((v) => JSON.stringify(v)).join(' or ');
    default:
      return undefined;
  }
}

const finite = (n: number | null | undefined) => (n === null || n === undefined || !Number.isFinite(n) ? undefined : n);

/** The value as given, quoted; secrets are never shown, passwords in urls are masked. */
function shownValue(name: string, value: string | undefined): string {
  if (value === undefined) return '(unset)';
  if (/SECRET|PASSWORD|TOKEN|KEY/i.test(name)) return '(hidden)';
  return JSON.stringify(value.replace(/(\/\/[^:/@\s]*:)[^@/\s]+@/, '$1***@'));
}
