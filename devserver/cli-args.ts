import { parseSearchAttributeType } from './search-attributes.ts';
import type { DevServerOptions } from './server.ts';
import type { SearchAttributeType } from './visibility/index.ts';

export class CliArgsError extends Error {}

/**
 * The two argv conventions the SDK uses to launch a server binary:
 *  - time-skipping test server (Java's): `<port> [--enable-time-skipping]`
 *  - dev server (the Temporal CLI's): `server start-dev --port P --namespace N --ip H
 *    --search-attribute Name=Type … [--log-level …] [--dynamic-config-value …] [--headless] …`
 * Our own extras, accepted in both: `--start-time <RFC 3339>`, `--search-attribute Name=Type`,
 * `--suggest-continue-as-new-after <events>`.
 */
export function parseCliArgs(argv: string[]): DevServerOptions {
  const args = [...argv];
  const searchAttributes: Record<string, SearchAttributeType> = {};
  const namespaces: string[] = [];
  const options: DevServerOptions = { searchAttributes, namespaces };

  if (args[0] === 'server' && args[1] === 'start-dev') {
    args.splice(0, 2);
    options.timeSkipping = false;
  } else if (args[0] !== undefined && /^\d+$/.test(args[0])) {
    options.port = Number(args.shift());
    options.timeSkipping = true;
    options.startLocked = true;
  } else {
    throw new CliArgsError(
      `expected "<port> [--enable-time-skipping]" or "server start-dev --port <port> …", got: ${argv.join(' ') || '(nothing)'}`,
    );
  }

  const value = (flag: string): string => {
    const v = args.shift();
    if (v === undefined) throw new CliArgsError(`${flag} needs a value`);
    return v;
  };
  while (args.length > 0) {
    const raw = args.shift()!;
    const [flag, inline] = raw.includes('=') && raw.startsWith('--') ? [raw.slice(0, raw.indexOf('=')), raw.slice(raw.indexOf('=') + 1)] : [raw, undefined];
    const next = () => inline ?? value(flag);
    switch (flag) {
      case '--enable-time-skipping':
        options.timeSkipping = true;
        break;
      case '--disable-time-skipping':
        options.timeSkipping = false;
        break;
      case '--port':
      case '-p': {
        const port = Number(next());
        if (!Number.isInteger(port) || port < 0 || port > 65535) throw new CliArgsError(`--port must be 0–65535`);
        options.port = port;
        break;
      }
      case '--ip':
        options.host = next();
        break;
      case '--namespace':
      case '-n':
        namespaces.push(next());
        break;
      case '--search-attribute': {
        const spec = next();
        const eq = spec.indexOf('=');
        const type = eq > 0 ? parseSearchAttributeType(spec.slice(eq + 1)) : undefined;
        if (!type) {
          throw new CliArgsError(
            `--search-attribute "${spec}" must be Name=Type with Type one of Keyword, Text, Int, Double, Bool, Datetime, KeywordList`,
          );
        }
        searchAttributes[spec.slice(0, eq)] = type;
        break;
      }
      case '--start-time': {
        const text = next();
        const date = new Date(text);
        if (Number.isNaN(date.getTime())) throw new CliArgsError(`--start-time "${text}" is not an RFC 3339 instant`);
        options.startTime = date;
        break;
      }
      case '--suggest-continue-as-new-after': {
        const text = next();
        const events = Number(text);
        if (!Number.isInteger(events) || events < 1) {
          throw new CliArgsError(`--suggest-continue-as-new-after "${text}" must be a positive number of events`);
        }
        options.suggestContinueAsNewAfterEvents = events;
        break;
      }
      // Accepted for compatibility with the Temporal CLI; nothing to do in memory.
      case '--headless':
        break;
      case '--log-format':
      case '--log-level':
      case '--dynamic-config-value':
      case '--db-filename':
      case '--ui-port':
      case '--ui-ip':
      case '--http-port':
      case '--metrics-port':
        next();
        break;
      default:
        throw new CliArgsError(`unknown argument ${raw}`);
    }
  }
  if (!namespaces.includes('default')) namespaces.unshift('default');
  return options;
}
