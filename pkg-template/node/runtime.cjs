'use strict';
// The Node build's wasm runtime (shared/runtime.cjs): the module is compiled
// once, when hubguard is first required, from the file beside this one.
// The entry file and the CLI share it.

const { readFileSync } = require('node:fs');
const path = require('node:path');
const instantiate = require('./hubguard_wasm.js');
const createRuntime = require('../shared/runtime.cjs');
const createImages = require('./images.cjs');

const compiled = new WebAssembly.Module(readFileSync(path.join(__dirname, 'hubguard_wasm_bg.wasm')));

module.exports = createRuntime({ instantiate, compile: () => compiled, images: createImages });
