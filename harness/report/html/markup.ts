/**
 * Markup that escapes by default: every interpolated string is escaped unless it is itself Markup
 * made by `html`, so a node name or an error message can never become markup. report.html and the
 * runs index (runs-index.ts) write their pages with it.
 */

export class Markup {
  constructor(readonly text: string) {}
}

type Interpolation = Markup | string | number | boolean | null | undefined | readonly Interpolation[];

function escapeHtml(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;').replace(/'/g, '&#39;');
}

function renderInterpolation(value: Interpolation): string {
  if (value instanceof Markup) return value.text;
  if (Array.isArray(value)) return value.map(renderInterpolation).join('');
  if (value === null || value === undefined || value === false) return '';
  return escapeHtml(String(value));
}

export function html(strings: TemplateStringsArray, ...values: Interpolation[]): Markup {
  let text = strings[0]!;
  values.forEach((value, i) => {
    text += renderInterpolation(value) + strings[i + 1]!;
  });
  return new Markup(text);
}
