#!/usr/bin/env node
/** The `mobilec` executable: the program of program.ts on this process's arguments. */
import { main } from './program.js';

main(process.argv).then((code) => {
  process.exitCode = code;
});
