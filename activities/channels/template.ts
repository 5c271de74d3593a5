const VARIABLE = /\{\{\s*([A-Za-z0-9_.-]+)\s*\}\}/g;

export class TemplateVariableMissing extends Error {
  constructor(
    readonly field: string,
    readonly variables: string[],
  ) {
    super(`template.${field} uses ${variables.map((v) => `{{${v}}}`).join(', ')} but no such variable was given`);
    this.name = 'TemplateVariableMissing';
  }
}

/** `{{name}}` substitution; every missing variable is named in one error rather than sent blank. */
export function renderTemplate(text: string, variables: Readonly<Record<string, string>>, field: string): string {
  const missing = new Set<string>();
  const out = text.replace(VARIABLE, (_, name: string) => {
    const value = variables[name];
    if (value === undefined) {
      missing.add(name);
      return '';
    }
    return value;
  });
  if (missing.size) throw new TemplateVariableMissing(field, [...missing]);
  return out;
}
