// as-pect 8.1 configuration for the trace table's unit tests (`npm run test:assembly`).
// Each test/assembly/*.spec.ts is compiled with the as-pect asconfig beside it (incremental
// runtime, assertions on) and gets a heap.alloc'ed region to attach the table to.
module.exports = {
  entries: ["test/assembly/**/*.spec.ts"],
  include: ["test/assembly/**/*.include.ts"],
  disclude: [/node_modules/],
  async instantiate(memory, createImports, instantiate, binary) {
    return instantiate(binary, createImports({ env: { memory } }));
  },
  outputBinary: false,
};
