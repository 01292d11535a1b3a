"""tests/sctest.py — what ssdcam's Python tests share (imported by tests/app/*.py and
tests/model/*.py): a check counter that prints "N passed, N failed" like tests/harness.h, and
the ssdcam executable wrapped for cross builds.

    sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), '..'))
    from sctest import check, finish            # and exe_wrapped for ssdcam in a cross build
"""
import atexit
import os
import shlex
import shutil
import sys
import tempfile

_counts = {'passed': 0, 'failed': 0}


def check(cond, what):
    """Counts one check; prints 'FAIL what' when cond is false. Returns cond."""
    if cond:
        _counts['passed'] += 1
    else:
        _counts['failed'] += 1
        print('FAIL', what, flush=True)
    return cond


def finish():
    """Prints 'N passed, N failed' and exits 1 when anything failed."""
    print('%d passed, %d failed' % (_counts['passed'], _counts['failed']), flush=True)
    sys.exit(1 if _counts['failed'] else 0)


def exe_wrapped(exe):
    """exe itself; in a cross build (meson sets MESON_EXE_WRAPPER to the cross file's
    exe_wrapper, e.g. qemu-aarch64) a shim script that runs exe through the wrapper, so every
    subprocess call works unchanged."""
    w = os.environ.get('MESON_EXE_WRAPPER')
    if not w:
        return exe
    d = tempfile.mkdtemp(prefix='sc-exe-wrapper-')
    atexit.register(shutil.rmtree, d, True)
    shim = os.path.join(d, os.path.basename(exe))
    with open(shim, 'w') as f:
        f.write('#!/bin/sh\nexec %s %s "$@"\n' % (w, shlex.quote(os.path.abspath(exe))))
    os.chmod(shim, 0o755)
    return shim
