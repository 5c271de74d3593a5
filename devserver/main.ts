import { CliArgsError, parseCliArgs } from './cli-args.ts';
import { startDevServer } from './server.ts';

/** When the launching process dies without stopping us (we get re-parented), stop too. */
function exitWithParent(stop: () => void): void {
  const parent = process.ppid;
  setInterval(() => {
    if (process.ppid !== parent) stop();
  }, 1000).unref();
}

try {
  const options = parseCliArgs(process.argv.slice(2));
  const server = await startDevServer(options);
  console.error(`devserver listening on ${server.address}${options.timeSkipping ? ' (time skipping)' : ''}`);
  const stop = () => {
    void server.shutdown().finally(() => process.exit(0));
  };
  process.on('SIGINT', stop);
  process.on('SIGTERM', stop);
  exitWithParent(stop);
} catch (err) {
  console.error(`devserver: ${err instanceof CliArgsError ? err.message : String(err)}`);
  process.exit(2);
}
