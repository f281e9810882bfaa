#!/usr/bin/env node
import { CommanderError } from "commander";
import { describeFailure, EXIT } from "./failure.js";
import { buildProgram } from "./program.js";

const io = {
  out: (s: string) => void process.stdout.write(s),
  err: (s: string) => void process.stderr.write(s),
  tty: process.stdout.isTTY === true,
};

/** Runs one command line and returns its exit code (0 ok, 1 API error, 2 usage error). */
async function run(argv: string[]): Promise<number> {
  try {
    await buildProgram(process.env, io).parseAsync(argv);
    return EXIT.ok;
  } catch (error) {
    if (error instanceof CommanderError) {
      // Commander has printed its message already; asking for help or the version is a success.
      return error.code === "commander.helpDisplayed" || error.code === "commander.version" ? EXIT.ok : EXIT.usage;
    }
    const { code, message } = describeFailure(error);
    io.err(`latchkey: ${message}\n`);
    return code;
  }
}

process.exitCode = await run(process.argv);
