#!/usr/bin/env node
/**
 * The `convergent` command. Exit codes: 0 after a graceful shutdown (SIGINT or SIGTERM) or
 * --help, 1 when the server cannot start or shut down cleanly (port in use, unreadable
 * database), 2 for a command-line mistake. Events go to stdout as one JSON object per line.
 */
import { ConvergentError } from "@convergent/core";
import { parseCommand, USAGE, UsageError } from "./args.js";
import { type RunningServer, startServer } from "./server.js";

/** A shutdown that takes longer than this is abandoned with exit code 1. */
const SHUTDOWN_TIMEOUT_MS = 15_000;

function fail(code: number, message: string): void {
  process.stderr.write(`convergent: ${message}\n`);
  process.exitCode = code;
}

async function main(argv: readonly string[]): Promise<void> {
  let command: ReturnType<typeof parseCommand>;
  try {
    command = parseCommand(argv);
  } catch (error) {
    if (error instanceof UsageError) {
      fail(2, `${error.message}\nRun \`convergent serve --help\` for usage.`);
      return;
    }
    throw error;
  }
  if (command.kind === "help") {
    process.stdout.write(USAGE);
    return;
  }

  let server: RunningServer;
  try {
    server = await startServer(command.config, (event) => {
      process.stdout.write(`${JSON.stringify(event)}\n`);
    });
  } catch (error) {
    if (error instanceof UsageError) fail(2, error.message);
    else if (error instanceof ConvergentError || error instanceof Error) {
      fail(1, `cannot start: ${error.message}`);
    } else fail(1, `cannot start: ${String(error)}`);
    return;
  }

  let stopping = false;
  const stop = (signal: NodeJS.Signals) => {
    if (stopping) {
      fail(1, `${signal} again: exiting without finishing the shutdown`);
      process.exit();
    }
    stopping = true;
    const timer = setTimeout(() => {
      fail(1, `shutdown took longer than ${SHUTDOWN_TIMEOUT_MS} ms; exiting`);
      process.exit();
    }, SHUTDOWN_TIMEOUT_MS);
    timer.unref();
    server.close().then(
      () => {
        // Every socket, timer and the database are released, so the event loop empties and the
        // process exits by itself: a hang here would be a leak, not something to paper over.
        clearTimeout(timer);
        process.exitCode = 0;
      },
      (error: unknown) => {
        fail(1, `shutdown failed: ${error instanceof Error ? error.message : String(error)}`);
        process.exit();
      },
    );
  };
  process.on("SIGINT", stop);
  process.on("SIGTERM", stop);
}

main(process.argv.slice(2)).catch((error: unknown) => {
  fail(1, error instanceof Error ? (error.stack ?? error.message) : String(error));
});
