// The default seccomp filter, as the table it is compiled from: what COMMAND may never ask the
// kernel for. Everything not listed is allowed. docs/run.md's "What the sandbox refuses" shows it.
import type {Capability} from '../capabilities.js'

export interface Refusal {
  syscalls: string[]
  // Refused only when argument `arg` has one of these flag bits set (else always refused).
  whenFlags?: {arg: number; flags: Record<string, number>}
  // Refused only when argument `arg` is one of these values.
  whenValues?: {arg: number; values: Record<string, number>}
  // EPERM unless the caller relies on another answer (glibc falls back from clone3 on ENOSYS only).
  errno?: 'EPERM' | 'ENOSYS'
  // Lifted when COMMAND holds any of these capabilities (--cap-add), as in Docker's profile: the
  // capability grants the same power anyway.
  unlessCap?: Capability[]
  why: string
}

export interface RefusalGroup {
  group: string
  rows: Refusal[]
}

// clone's low byte is the exit signal, so CLONE_NEWTIME exists for unshare (and clone3) only.
const CLONE_NAMESPACES = {
  CLONE_NEWNS: 0x00020000, CLONE_NEWCGROUP: 0x02000000, CLONE_NEWUTS: 0x04000000, CLONE_NEWIPC: 0x08000000,
  CLONE_NEWUSER: 0x10000000, CLONE_NEWPID: 0x20000000, CLONE_NEWNET: 0x40000000,
}
const UNSHARE_NAMESPACES = {...CLONE_NAMESPACES, CLONE_NEWTIME: 0x00000080}

export const REFUSALS: RefusalGroup[] = [
  {group: 'Kernel keyrings', rows: [
    {syscalls: ['add_key', 'keyctl', 'request_key'], why: 'keyrings are not namespaced: keys of the host and of other containers are one call away'},
  ]},
  {group: 'New namespaces', rows: [
    {syscalls: ['unshare'], whenFlags: {arg: 0, flags: UNSHARE_NAMESPACES}, unlessCap: ['SYS_ADMIN'], why: 'a nested user namespace hands out every capability over new objects: the usual first step of a kernel exploit'},
    {syscalls: ['clone'], whenFlags: {arg: 0, flags: CLONE_NAMESPACES}, unlessCap: ['SYS_ADMIN'], why: 'the same through clone (plain fork and threads are untouched)'},
    {syscalls: ['clone3'], errno: 'ENOSYS', unlessCap: ['SYS_ADMIN'], why: 'its flags sit in memory a filter cannot read; ENOSYS makes glibc fall back to clone, whose flags it can'},
    {syscalls: ['setns'], unlessCap: ['SYS_ADMIN'], why: 'entering another namespace'},
  ]},
  {group: 'Kernel programs and tracing', rows: [
    {syscalls: ['bpf'], unlessCap: ['SYS_ADMIN', 'BPF'], why: 'eBPF: programs run inside the kernel'},
    {syscalls: ['perf_event_open'], unlessCap: ['SYS_ADMIN', 'PERFMON'], why: 'performance counters: a large interface and a side channel'},
    {syscalls: ['userfaultfd'], why: 'stalls the kernel at a chosen page fault: the classic tool for winning kernel races'},
    {syscalls: ['io_uring_setup', 'io_uring_enter', 'io_uring_register'], why: 'a second system call interface that bypasses this filter, with a long list of CVEs (Docker refuses it since 2023)'},
  ]},
  {group: 'Kernel, modules, reboot', rows: [
    {syscalls: ['kexec_load', 'kexec_file_load'], why: 'loading a new kernel'},
    {syscalls: ['init_module', 'finit_module', 'delete_module'], unlessCap: ['SYS_MODULE'], why: 'kernel modules'},
    {syscalls: ['reboot'], unlessCap: ['SYS_BOOT'], why: 'reboot'},
  ]},
  {group: 'Host-wide state', rows: [
    {syscalls: ['clock_settime', 'clock_settime64', 'settimeofday', 'stime'], unlessCap: ['SYS_TIME'], why: 'the clock is not namespaced'},
    {syscalls: ['swapon', 'swapoff'], why: 'the host\'s swap'},
    {syscalls: ['acct'], unlessCap: ['SYS_PACCT'], why: 'process accounting'},
    {syscalls: ['quotactl', 'quotactl_fd'], unlessCap: ['SYS_ADMIN'], why: 'disk quotas'},
    {syscalls: ['syslog'], unlessCap: ['SYSLOG', 'SYS_ADMIN'], why: 'the host\'s kernel log'},
    {syscalls: ['vhangup'], unlessCap: ['SYS_TTY_CONFIG'], why: 'hangs up the terminal'},
  ]},
  {group: 'Mounts', rows: [
    {syscalls: ['mount', 'umount', 'umount2', 'pivot_root', 'fsopen', 'fsconfig', 'fsmount', 'fspick', 'open_tree', 'move_mount', 'mount_setattr'], unlessCap: ['SYS_ADMIN'], why: 'the capabilities already stop them; the filter stops them before any kernel code runs'},
  ]},
  {group: 'Reaching around permissions', rows: [
    {syscalls: ['open_by_handle_at'], unlessCap: ['DAC_READ_SEARCH'], why: 'opens any file of a filesystem by handle (the "shocker" container escape)'},
    {syscalls: ['fanotify_init', 'lookup_dcookie'], unlessCap: ['SYS_ADMIN'], why: 'filesystem-wide watches; kernel profiling cookies'},
    {syscalls: ['iopl', 'ioperm'], unlessCap: ['SYS_RAWIO'], why: 'hardware I/O ports'},
    {syscalls: ['kcmp', 'pidfd_getfd', 'process_madvise'], unlessCap: ['SYS_PTRACE'], why: 'other processes\' files and memory'},
    {syscalls: ['migrate_pages', 'move_pages'], unlessCap: ['SYS_NICE'], why: 'moving other processes\' memory between NUMA nodes'},
  ]},
  {group: 'Socket families', rows: [
    {syscalls: ['socket'], whenValues: {arg: 0, values: {AF_ALG: 38, AF_VSOCK: 40}}, why: 'the kernel crypto interface; sockets to the hypervisor (Docker refuses both)'},
    // i386 only (x86-64 has no socketcall). glibc's socket() on i386 goes through socketcall with
    // no fallback: 32-bit programs get no socket under the default filter.
    {syscalls: ['socketcall'], whenValues: {arg: 0, values: {SYS_SOCKET: 1}}, errno: 'ENOSYS', why: 'the i386 multiplexer: its socket call\'s family is in memory a filter cannot read, so every socket it would make is refused (the direct socket call is filtered by family)'},
  ]},
  {group: 'Obsolete', rows: [
    {syscalls: ['uselib', 'ustat', 'sysfs', '_sysctl', 'nfsservctl', 'bdflush', 'create_module', 'get_kernel_syms', 'query_module', 'vm86', 'vm86old'], why: 'no current program needs them; old code paths'},
  ]},
]

// Not refused although Docker's allowlist does, because they only touch COMMAND's own processes:
// personality (since Linux 4.1 it stores flags: gdb and setarch turn ASLR off with it),
// get_mempolicy/set_mempolicy/mbind (NUMA placement of one's own memory).
