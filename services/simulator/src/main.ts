// CLI: node services/simulator/dist/main.js — configuration from SIM_* variables (see config.ts).
// Prints one JSON line {"event":"listening",…} on stdout when ready; exits 0 on SIGTERM/SIGINT,
// 2 on bad configuration, 1 on a crash.
import { parseSimEnv, SimConfigError } from './config';
import { errorMessage } from './errors';
import { createSimulator, type Simulator } from './simulator';

async function main(): Promise<void> {
  let sim: Simulator;
  try {
    sim = createSimulator(parseSimEnv(process.env));
  } catch (err) {
    process.stderr.write(`sim: ${errorMessage(err)}\n`);
    process.exit(err instanceof SimConfigError || err instanceof RangeError ? 2 : 1);
  }
  let stopping = false;
  const shutdown = (signal: string): void => {
    if (stopping) return;
    stopping = true;
    process.stderr.write(`sim: ${signal} received, stopping\n`);
    sim.stop().then(
      () => process.exit(0),
      (err: unknown) => {
        process.stderr.write(`sim: stop failed: ${String(err)}\n`);
        process.exit(1);
      },
    );
  };
  process.on('SIGTERM', () => shutdown('SIGTERM'));
  process.on('SIGINT', () => shutdown('SIGINT'));
  const address = await sim.start();
  process.stdout.write(`${JSON.stringify({ event: 'listening', ...address })}\n`);
}

process.on('unhandledRejection', (reason) => {
  process.stderr.write(`sim: unhandled rejection: ${reason instanceof Error ? (reason.stack ?? reason.message) : String(reason)}\n`);
  process.exit(1);
});
process.on('uncaughtException', (err) => {
  process.stderr.write(`sim: uncaught exception: ${err.stack ?? err.message}\n`);
  process.exit(1);
});

void main();
