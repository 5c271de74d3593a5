import { describe, expect, it } from 'vitest';
import { CliArgsError, parseCliArgs } from '../../devserver/cli-args.ts';

describe('devserver executable arguments', () => {
  it('reads the time-skipping test server convention', () => {
    expect(parseCliArgs(['7233', '--enable-time-skipping'])).toMatchObject({
      port: 7233,
      timeSkipping: true,
      startLocked: true,
      namespaces: ['default'],
    });
  });

  it('reads the start-dev convention with search attributes', () => {
    const options = parseCliArgs([
      'server', 'start-dev', '--port', '7444', '--namespace', 'default', '--ip', '127.0.0.1',
      '--log-format', 'pretty', '--log-level', 'warn', '--dynamic-config-value', 'a=b', '--headless',
      '--search-attribute', 'Stage=Keyword', '--search-attribute', 'Score=INDEXED_VALUE_TYPE_INT',
    ]);
    expect(options).toMatchObject({
      port: 7444,
      host: '127.0.0.1',
      timeSkipping: false,
      searchAttributes: { Stage: 'Keyword', Score: 'Int' },
    });
  });

  it('takes a start time for the virtual clock', () => {
    expect(parseCliArgs(['0', '--start-time', '2020-01-01T00:00:00Z']).startTime?.toISOString()).toBe(
      '2020-01-01T00:00:00.000Z',
    );
  });

  it.each([
    [[], /expected/],
    [['server', 'start-dev', '--port', 'x'], /--port/],
    [['1', '--search-attribute', 'Stage=Float'], /Stage=Float.*Keyword/],
    [['1', '--start-time', 'yesterday'], /--start-time "yesterday"/],
    [['1', '--bogus'], /unknown argument --bogus/],
    [['1', '--namespace'], /--namespace needs a value/],
  ])('rejects %j with a message naming the problem', (argv, message) => {
    expect(() => parseCliArgs(argv)).toThrow(CliArgsError);
    expect(() => parseCliArgs(argv)).toThrow(message);
  });
});
