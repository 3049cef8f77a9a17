"""The CPU that this process's descendants use between start() and stop(), split into braid's and the rest (the
engine's JVMs, Python workers and daemons, and this driver), for the benchmark's account of where a job's time
goes. Linux only: it reads /proc/PID/stat twice a second, so a process that lives less than half a second, or the
last half second of one, is missed.
"""
import os
import threading

TICKS = os.sysconf("SC_CLK_TCK")


def _processes():
    """{pid: (parent pid, CPU seconds so far, is braid)} of every process that can be read."""
    table = {}
    for name in os.listdir("/proc"):
        if not name.isdigit():
            continue
        try:
            with open(f"/proc/{name}/stat") as stat:
                text = stat.read()
            with open(f"/proc/{name}/cmdline", "rb") as cmdline:
                program = cmdline.read().split(b"\0", 1)[0]
        except OSError:
            continue
        # The command name, in parentheses, may hold spaces: the fields that follow are counted from its end.
        fields = text[text.rindex(")") + 2:].split()
        table[int(name)] = (int(fields[1]), (int(fields[11]) + int(fields[12])) / TICKS,
                            os.path.basename(program) == b"braid")
    return table


class ProcessCPU:
    def __init__(self, interval=0.5):
        self.interval = interval
        self._root = os.getpid()
        self._first = {}
        self._last = {}
        # A process that has exited but not been waited for has an empty command line: once braid, always braid.
        self._braid = set()
        self._stopping = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def start(self):
        # What the processes alive now have used already is not the job's.
        self._first = {pid: cpu for pid, (_, cpu, _) in _processes().items()}
        self._thread.start()

    def stop(self):
        """{"braid": seconds, "engine": seconds} since start()."""
        self._stopping.set()
        self._thread.join()
        self._sample()
        totals = {"braid": 0.0, "engine": 0.0}
        for pid, cpu in self._last.items():
            totals["braid" if pid in self._braid else "engine"] += cpu - self._first.get(pid, 0.0)
        return {name: round(value, 2) for name, value in totals.items()}

    def _run(self):
        while not self._stopping.wait(self.interval):
            self._sample()

    def _sample(self):
        table = _processes()
        for pid, (_, cpu, braid) in table.items():
            if self._descends(pid, table):
                self._last[pid] = cpu
                if braid:
                    self._braid.add(pid)

    def _descends(self, pid, table):
        while pid in table:
            if pid == self._root:
                return True
            pid = table[pid][0]
        return False
