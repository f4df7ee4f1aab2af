/**
 * Silences Node's "WASI is an experimental feature" warning, which the CLI's users cannot act
 * on and which would land in the middle of the program's own stderr. Imported first by main.ts;
 * every other warning still prints as Node prints it.
 */
process.removeAllListeners('warning');
process.on('warning', (warning) => {
  if (warning.name === 'ExperimentalWarning' && warning.message.startsWith('WASI is an experimental feature')) return;
  process.stderr.write(`(node:${process.pid}) ${warning.name}: ${warning.message}\n`);
});
