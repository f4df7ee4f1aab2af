// Builds build/sidelink.wasm from assembly/sideLink.wat (the side-module link of
// src/host/dynamicLinking.ts): parsed, validated and optimized by Binaryen.
import { readFileSync, writeFileSync, mkdirSync } from 'node:fs';
import binaryen from 'binaryen';

const source = new URL('../assembly/sideLink.wat', import.meta.url);
const output = new URL('../build/sidelink.wasm', import.meta.url);
const module = binaryen.parseText(readFileSync(source, 'utf8'));
module.setFeatures(binaryen.Features.MVP | binaryen.Features.MutableGlobals);
if (!module.validate()) {
  console.error('build-side-link: assembly/sideLink.wat does not validate');
  process.exit(1);
}
binaryen.setOptimizeLevel(3);
module.optimize();
mkdirSync(new URL('../build/', import.meta.url), { recursive: true });
writeFileSync(output, module.emitBinary());
module.dispose();
