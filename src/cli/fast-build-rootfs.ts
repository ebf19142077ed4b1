// What bin/run.js's build-rootfs fast path needs (the parser, the build, the error report), from
// one module that scripts/setup.js bundles into one CommonJS file, dist/fast/build-rootfs.cjs.
//
// Why one file: src/ is split into many small modules so that its folders tell the architecture,
// and Node 20 pays ~0.7 ms per ES module it loads; a small build loads ~55 of them (~45 ms, a
// third of its time). The bundle is the same code, tsc's output, in one file: what the modules
// import lazily is bundled too (a build imports most of it) but initialised only when used; npm
// packages stay outside it. Why CommonJS: it loads synchronously, ~7 ms sooner than an ES module
// (bin/run.js is CommonJS for the same reason). The library API (src/index.ts) and the oclif
// commands use dist/src.
export {parseArgv, withConfigFile} from './argv.js'
export {reportError} from './report.js'
export {buildRootfsMain} from './build-rootfs.js'
export {BUILD_ROOTFS} from '../options/build-rootfs.js'
