// What bin/run.js's run fast path needs (the parser, the supervisor, the error report), from one
// module that scripts/setup.js bundles into one CommonJS file, dist/fast/run.cjs, for the reasons
// fast-build-rootfs.ts gives. Unlike build-rootfs's, this bundle leaves out what its modules import
// lazily (a config file's parser, a seccomp profile's compiler, --env-file, the shell lookup, a
// foreign architecture's emulator): `run R /bin/true` needs none of it, and bundled it would double
// the file that every run compiles (~3 ms). The bundle loads those from dist/src when asked.
export {oclifArgv, parseArgv, toApiCall, withConfigFile} from './argv.js'
export {reportError} from './report.js'
export {RUN} from '../options/run.js'
export {run} from '../sandbox/supervise.js'
