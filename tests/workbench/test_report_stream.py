"""The report streams: a generated usage log of 2 million lines is reported
on through a pipe (nothing on disk), and its peak memory must be that of a
log ten times smaller, within 50 % (memory bounded by what is summed, not by
lines).  Peak RSS and times are printed; the time goal is in
tests/bench/report-bench.sh, not here.  The totals must match what was
generated, and lines out of order beyond the 5-minute bound are counted
as late.

Run as test_report_stream.py SHIM.
"""
import json
import os
import sys
import tempfile
import threading
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import usagegen  # noqa: E402

failures = []


def check(cond, what):
    if not cond:
        failures.append(what)
        print("FAIL:", what)


def report(shim, lines, late):
    tmp = tempfile.mkdtemp(prefix="mktows-stream-")
    fifo = os.path.join(tmp, "usage.log")
    os.mkfifo(fifo)
    want = {}

    def writer():
        with open(fifo, "w") as f:
            want.update(usagegen.write(f, lines, days=30, late=late))

    t = threading.Thread(target=writer)
    t.start()
    out_path = os.path.join(tmp, "report.json")
    t0 = time.monotonic()
    pid = os.fork()
    if pid == 0:
        fd = os.open(out_path, os.O_WRONLY | os.O_CREAT, 0o600)
        os.dup2(fd, 1)
        # ASan's quarantine (freed memory held back) would hide the report's own
        # peak; keep it small so RSS says what the program holds
        env = dict(os.environ, ASAN_OPTIONS="quarantine_size_mb=4:detect_leaks=1:abort_on_error=1")
        os.execve(shim, [shim, "report", "--format", "json", fifo], env)
    _, status, usage = os.wait4(pid, 0)
    seconds = time.monotonic() - t0
    t.join()
    check(os.WIFEXITED(status) and os.WEXITSTATUS(status) == 0, "report exited %d" % status)
    with open(out_path) as f:
        rep = json.load(f)
    for p in (out_path, fifo):
        os.unlink(p)
    os.rmdir(tmp)
    rss_mb = usage.ru_maxrss / 1024.0
    print("%d lines: peak RSS %.1f MB, %.1f s (sanitizer build)" % (lines, rss_mb, seconds))
    tot = rep["totals"]
    check(tot["calls"] == want["calls"] == lines, "%d lines: calls %s" % (lines, tot["calls"]))
    check(tot["faults"] == want["faults"], "%d lines: faults %s, want %s"
          % (lines, tot["faults"], want["faults"]))
    check(rep["late_lines"] == late, "%d lines: late %s, want %d" % (lines, rep["late_lines"], late))
    got_users = {u["user"]: u["calls"] for u in rep["users"]}
    check(got_users == want["users"], "%d lines: per-user calls differ" % lines)
    check(len(tot["days"]) == 30, "%d lines: %d days" % (lines, len(tot["days"])))
    return rss_mb


def main():
    shim = sys.argv[1]
    small = report(shim, 200000, late=5)
    large = report(shim, 2000000, late=50)
    print("peak RSS: 2,000,000 lines %.1f MB, 200,000 lines %.1f MB, ratio %.2f"
          % (large, small, large / small))
    check(large / small < 1.5, "memory grows with the lines: %.1f MB vs %.1f MB" % (large, small))
    if failures:
        print("test_report_stream: %d failure(s)" % len(failures))
        sys.exit(1)
    print("test_report_stream: OK")


if __name__ == "__main__":
    main()
