#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
# Description: run a command with io_uring_setup failing with a given errno:
# a seccomp filter (installed through ctypes: no compiler, no sysctl
# touched), then exec.  Exit 77 where no filter can be installed.
#
#   seccomp_deny.py ERRNO-NUMBER COMMAND [ARGS...]
import ctypes, os, platform, struct, sys

ARCH = {"x86_64": 0xC000003E, "aarch64": 0xC00000B7}
NR_IO_URING_SETUP = 425         # the same on every architecture

def insn(code, k, jt=0, jf=0):
    return struct.pack("HBBI", code, jt, jf, k)

err = int(sys.argv[1])
arch = ARCH.get(platform.machine())
if arch is None:
    sys.exit(77)
LD_ABS, JEQ, RET = 0x20, 0x15, 0x06
prog = b"".join([
    insn(LD_ABS, 4),                        # seccomp_data.arch
    insn(JEQ, arch, 0, 3),                  # other arch: allow
    insn(LD_ABS, 0),                        # seccomp_data.nr
    insn(JEQ, NR_IO_URING_SETUP, 0, 1),
    insn(RET, 0x00050000 | err),            # SECCOMP_RET_ERRNO
    insn(RET, 0x7FFF0000),                  # SECCOMP_RET_ALLOW
])

class SockFprog(ctypes.Structure):
    _fields_ = [("len", ctypes.c_ushort), ("filter", ctypes.c_void_p)]

buf = ctypes.create_string_buffer(prog, len(prog))
fprog = SockFprog(len(prog) // 8, ctypes.addressof(buf))
libc = ctypes.CDLL(None, use_errno=True)
PR_SET_NO_NEW_PRIVS, PR_SET_SECCOMP, SECCOMP_MODE_FILTER = 38, 22, 2
if libc.prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0 or \
   libc.prctl(PR_SET_SECCOMP, SECCOMP_MODE_FILTER, ctypes.byref(fprog),
              0, 0) != 0:
    sys.stderr.write("seccomp: %s\n" % os.strerror(ctypes.get_errno()))
    sys.exit(77)
os.execv(sys.argv[2], sys.argv[2:])
