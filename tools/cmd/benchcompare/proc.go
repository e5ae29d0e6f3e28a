package main

import (
	"bufio"
	"bytes"
	"fmt"
	"os"
	"strconv"
	"strings"
)

// clockTicks is the unit of the times in /proc/<pid>/stat: USER_HZ, which
// Linux fixes at 100 for what it shows user space.
const clockTicks = 100

// cpuTimes are a process's CPU times in clock ticks: its own (user, system)
// and those of its children it waited for.
type cpuTimes struct {
	UTime, STime, CUTime, CSTime uint64
}

func (t cpuTimes) sub(o cpuTimes) cpuTimes {
	return cpuTimes{t.UTime - o.UTime, t.STime - o.STime, t.CUTime - o.CUTime, t.CSTime - o.CSTime}
}

// Millis is the total in milliseconds.
func (t cpuTimes) Millis() float64 {
	return float64(t.UTime+t.STime+t.CUTime+t.CSTime) * 1000 / clockTicks
}

func readCPU(pid int) (cpuTimes, error) {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return cpuTimes{}, err
	}
	return parseStat(b)
}

// parseStat reads utime, stime, cutime and cstime (fields 14 to 17) of a
// /proc/<pid>/stat line. The command name (field 2) is in parentheses and
// may hold spaces and parentheses itself: the fields are counted after its
// last ')'.
func parseStat(b []byte) (cpuTimes, error) {
	i := bytes.LastIndexByte(b, ')')
	if i < 0 {
		return cpuTimes{}, fmt.Errorf("/proc stat: no command name in %q", b)
	}
	f := strings.Fields(string(b[i+1:]))
	// f[0] is field 3 (state): field k is f[k-3].
	if len(f) < 15 {
		return cpuTimes{}, fmt.Errorf("/proc stat: %d fields after the command name, want at least 15", len(f))
	}
	var t cpuTimes
	for k, dst := range map[int]*uint64{14: &t.UTime, 15: &t.STime, 16: &t.CUTime, 17: &t.CSTime} {
		// cutime and cstime are signed in the kernel's format; never
		// negative in practice.
		v, err := strconv.ParseInt(f[k-3], 10, 64)
		if err != nil || v < 0 {
			return cpuTimes{}, fmt.Errorf("/proc stat: field %d is %q", k, f[k-3])
		}
		*dst = uint64(v)
	}
	return t, nil
}

func readPeakRSS(pid int) (int64, error) {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		return 0, err
	}
	return parseVmHWM(b)
}

// parseVmHWM reads the peak resident set size from /proc/<pid>/status
// ("VmHWM:    123456 kB"), in bytes.
func parseVmHWM(b []byte) (int64, error) {
	sc := bufio.NewScanner(bytes.NewReader(b))
	for sc.Scan() {
		rest, ok := strings.CutPrefix(sc.Text(), "VmHWM:")
		if !ok {
			continue
		}
		f := strings.Fields(rest)
		if len(f) != 2 || f[1] != "kB" {
			return 0, fmt.Errorf("/proc status: VmHWM is %q", rest)
		}
		kb, err := strconv.ParseInt(f[0], 10, 64)
		if err != nil {
			return 0, fmt.Errorf("/proc status: VmHWM is %q", rest)
		}
		return kb * 1024, nil
	}
	return 0, fmt.Errorf("/proc status: no VmHWM line")
}
