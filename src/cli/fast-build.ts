// What bin/run.js's build-rootfs fast path needs (the parser, the build, the error report), from
// one module that scripts/setup.js bundles into one file, dist/fast/build-rootfs.js.
//
// Why one file: src/ is split into many small modules so that its folders tell the architecture,
// and Node 20 pays ~0.7 ms per ES module it loads; a small build loads ~55 of them (~45 ms, a
// third of its time). The bundle is the same code, tsc's output, in one file: what the modules
// import lazily is still initialised only when used; npm packages stay outside it. `run` loads
// dist/src as it is: its dozen modules cost about what compiling the bundle would. The library
// API (src/index.ts) and the oclif commands use dist/src too.
export {parseArgv, withConfigFile} from './argv.js'
export {reportError} from './report.js'
export {buildRootfsMain} from './build-rootfs.js'
export {BUILD_ROOTFS} from './options/build-rootfs.js'
