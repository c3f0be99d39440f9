// The run form's values, their checks and how the server's refusals map
// onto its fields.
import { ApiError } from '@/lib/api-client';
import { formatBytes } from '@/lib/format';

/** Where the input comes from: the project's input.json, the text box, or a file. */
export type InputSource = 'project' | 'edit' | 'file';

export interface RunFormValues {
  source: InputSource;
  /** The text box (starts as input.json). */
  text: string;
  /** The chosen file's contents, once read. */
  fileText: string | null;
  fileName: string;
  timeLimit: string;
  options: string;
  /** '' = the live deployment's image, else the newest. */
  imageId: string;
}

export type RunFormField = 'input' | 'timeLimit' | 'options' | 'image';
export type RunFormErrors = Partial<Record<RunFormField, string>>;

/** The server's default limit on an input; the page refuses bigger files before sending. */
export const MAX_INPUT_BYTES = 50 * 1024 * 1024;
/** The longest time limit the form accepts (the server may allow less). */
export const MAX_TIME_LIMIT_S = 7 * 24 * 3600;

const KEY = /^[A-Za-z_][A-Za-z0-9_.-]*$/;

/** A `key=value` row's value: JSON when it reads as JSON (numbers, booleans, quoted), else text. */
function optionValue(raw: string): unknown {
  const text = raw.trim();
  if (/^(-?\d|true$|false$|null$|["[{])/.test(text)) {
    try {
      return JSON.parse(text) as unknown;
    } catch {
      // Not JSON after all: the text as written.
    }
  }
  return text;
}

/**
 * The options as an object: a JSON object, or `key=value` rows (one per
 * line; `#` starts a comment; values are JSON when they read as JSON).
 */
export function parseOptions(
  text: string,
): { ok: true; value: Record<string, unknown> } | { ok: false; error: string } {
  const trimmed = text.trim();
  if (trimmed === '') return { ok: true, value: {} };
  if (trimmed.startsWith('{')) {
    try {
      const parsed: unknown = JSON.parse(trimmed);
      if (typeof parsed === 'object' && parsed !== null && !Array.isArray(parsed))
        return { ok: true, value: parsed as Record<string, unknown> };
    } catch (e) {
      return { ok: false, error: `Options are not valid JSON: ${(e as Error).message}` };
    }
    return { ok: false, error: 'Options must be a JSON object.' };
  }
  const value: Record<string, unknown> = {};
  const rows = text.split('\n');
  for (let i = 0; i < rows.length; i++) {
    const row = rows[i].trim();
    if (row === '' || row.startsWith('#')) continue;
    const eq = row.indexOf('=');
    const key = eq < 0 ? row : row.slice(0, eq).trim();
    if (eq < 0 || !KEY.test(key))
      return { ok: false, error: `Line ${i + 1}: write key=value (or a JSON object).` };
    if (Object.hasOwn(value, key))
      return { ok: false, error: `Line ${i + 1}: ${key} is set twice.` };
    value[key] = optionValue(row.slice(eq + 1));
  }
  return { ok: true, value };
}

/** The JSON text the run will get, by source (null: none yet). */
export function inputText(values: RunFormValues, projectInput: string | null): string | null {
  if (values.source === 'project') return projectInput;
  if (values.source === 'edit') return values.text;
  return values.fileText;
}

function inputProblem(values: RunFormValues, projectInput: string | null): string | undefined {
  const text = inputText(values, projectInput);
  if (text === null) {
    return values.source === 'project'
      ? 'The project has no input.json: edit an input or choose a file.'
      : 'Choose a JSON file.';
  }
  if (new Blob([text]).size > MAX_INPUT_BYTES)
    return `The input is over ${formatBytes(MAX_INPUT_BYTES)}.`;
  try {
    JSON.parse(text);
  } catch (e) {
    return `The input is not valid JSON: ${(e as Error).message}`;
  }
  return undefined;
}

/** What is wrong with the values, field by field (empty when valid). */
export function validateRunForm(values: RunFormValues, projectInput: string | null): RunFormErrors {
  const errors: RunFormErrors = {};
  const input = inputProblem(values, projectInput);
  if (input) errors.input = input;
  const limit = values.timeLimit.trim();
  if (
    limit !== '' &&
    (!/^\d+$/.test(limit) || Number(limit) < 1 || Number(limit) > MAX_TIME_LIMIT_S)
  )
    errors.timeLimit = `The time limit must be a whole number of seconds from 1 to ${MAX_TIME_LIMIT_S}.`;
  const options = parseOptions(values.options);
  if (!options.ok) errors.options = options.error;
  return errors;
}

/**
 * Which field a refusal of the server is about, from its status and message
 * ("time_limit_s must be between 1 and 3600", "options exceed the limit…",
 * "the input is not valid JSON", "image not found"); null for the form as a
 * whole (429, 409, anything else).
 */
export function fieldOfServerError(error: unknown): RunFormField | null {
  if (!(error instanceof ApiError)) return null;
  const message = error.message.toLowerCase();
  if (![400, 404, 413, 422].includes(error.status)) return null;
  if (message.startsWith('time_limit_s')) return 'timeLimit';
  if (message.startsWith('options')) return 'options';
  if (message.includes('image')) return 'image';
  if (message.includes('input') || error.status === 413) return 'input';
  return null;
}
