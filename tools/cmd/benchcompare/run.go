package main

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"time"
)

// runResult is what one run measured.
type runResult struct {
	Round          int              `json:"round"`
	Complaints     int              `json:"complaints"`
	PerSecond      float64          `json:"complaints_per_second"`
	CPUMillis      float64          `json:"server_cpu_ms"`
	PeakRSSBytes   int64            `json:"peak_rss_bytes"`
	Ack            loadgenLatency   `json:"submit_to_acknowledged"`
	Closed         loadgenLatency   `json:"submit_to_closed"`
	Streams        map[string]int64 `json:"stream_messages"`
	Written        map[string]int64 `json:"stream_writes,omitempty"`
	Watch          string           `json:"watch"`
	LoadgenSeconds float64          `json:"loadgen_wall_seconds"`
}

// Environment variables of a server that the run sets itself, or that
// would point it elsewhere: none is inherited.
var serverEnvDropped = []string{
	"HTTP_ADDR", "NATS_URL", "DATA_DIR", "EMBEDDED_NATS_HOST", "EMBEDDED_NATS_PORT", "NATS_CREDENTIALS_DIR",
	"NATS_TLS_*", "HTTP_TLS_*", "PII_KEK_FILE", "EVENTSTORE_URL", "RELAY", "CONFIG_DIR", "DEBUG_ADDR",
	"AUTH_*", "CUSTOMER_TOKEN_*", "OIDC_*", "HTTP_RATE_*", "HTTP_TRUSTED_PROXIES", "HTTP_PROXY_HEADER",
	"PAYSIM*", "REGIME", "COMPLAINTS_*",
}

// serverEnvSet are settings every run's server gets. The load generator
// works every case with one agent token, a whole support floor's polling
// and case work (thousands of requests a second), far past the rate of one
// person that a deployment's default allows (ADR 0038): the staff rate is
// raised so that the run measures the system, not the limit. The bucket is
// still taken for every request. A build that does not know the variables
// (d60923f) ignores them.
var serverEnvSet = []string{"HTTP_RATE_STAFF=1000000", "HTTP_RATE_STAFF_BURST=1000000"}

// measure runs one side once in dir.
func measure(ctx context.Context, cfg config, s *side, loadgen, dir string, log io.Writer) (runResult, error) {
	var res runResult
	data := filepath.Join(dir, "data")
	if err := os.MkdirAll(data, 0o755); err != nil {
		return res, err
	}
	httpPort, err := freePort()
	if err != nil {
		return res, err
	}
	natsPort, err := freePort()
	if err != nil {
		return res, err
	}
	env := append(append(withoutEnv(os.Environ(), serverEnvDropped...), serverEnvSet...),
		"HTTP_ADDR=127.0.0.1:"+strconv.Itoa(httpPort),
		"DATA_DIR="+data,
		"EMBEDDED_NATS_HOST=127.0.0.1",
		"EMBEDDED_NATS_PORT="+strconv.Itoa(natsPort),
	)
	if fast := filepath.Join(s.tree, "deploy", "policies", "fast"); isDir(fast) {
		env = append(env, "CONFIG_DIR="+fast)
	}
	logPath := filepath.Join(dir, "server.log")
	logFile, err := os.Create(logPath)
	if err != nil {
		return res, err
	}
	defer logFile.Close()
	srv := exec.Command(s.server)
	srv.Dir = s.tree
	srv.Env = env
	srv.Stdout, srv.Stderr = logFile, logFile
	if err := srv.Start(); err != nil {
		return res, fmt.Errorf("start the server: %w", err)
	}
	exited := make(chan error, 1)
	go func() { exited <- srv.Wait() }()
	stopped := false
	defer func() {
		if !stopped {
			_ = srv.Process.Kill()
			<-exited
		}
	}()
	fail := func(err error) (runResult, error) {
		return res, fmt.Errorf("%w\nlast lines of %s:\n%s", err, logPath, tail(logPath, 15))
	}

	url := "http://127.0.0.1:" + strconv.Itoa(httpPort)
	if err := waitHealthy(ctx, url, exited, cfg.startupTimeout); err != nil {
		return fail(err)
	}
	pid := srv.Process.Pid
	before, err := readCPU(pid)
	if err != nil {
		return fail(err)
	}

	args := []string{"-url", url, "-n", strconv.Itoa(cfg.n), "-c", strconv.Itoa(cfg.c), "-json", "-progress", "0",
		"-timeout", cfg.loadTimeout.String(), "-watch", cfg.watch,
		"-nats", "nats://127.0.0.1:" + strconv.Itoa(natsPort), "-nats-users", filepath.Join(data, "nats-users")}
	lg := exec.CommandContext(ctx, loadgen, args...)
	// In the run's own folder, where no data/dev-tokens.json of another
	// system is found by default.
	lg.Dir = dir
	lg.Env = withoutEnv(os.Environ(), "COMPLAINTS_*", "NATS_URL", "NATS_CREDENTIALS_DIR")
	if tokens := filepath.Join(data, "dev-tokens.json"); isFile(tokens) {
		lg.Env = append(lg.Env, "COMPLAINTS_TOKENS_FILE="+tokens)
	}
	var out, errOut bytes.Buffer
	lg.Stdout, lg.Stderr = &out, &errOut
	lgErr := lg.Run()

	after, cpuErr := readCPU(pid)
	hwm, hwmErr := readPeakRSS(pid)
	rep, parseErr := parseLoadgen(out.Bytes())
	switch {
	case parseErr != nil && lgErr != nil:
		return fail(fmt.Errorf("loadgen: %v\n%s", lgErr, strings.TrimSpace(errOut.String())))
	case parseErr != nil:
		return fail(fmt.Errorf("loadgen's report: %w", parseErr))
	}
	if err := rep.measurement(cfg.n); err != nil {
		return fail(err)
	}
	if lgErr != nil {
		return fail(fmt.Errorf("loadgen: %v\n%s", lgErr, strings.TrimSpace(errOut.String())))
	}
	if cpuErr != nil {
		return fail(cpuErr)
	}
	if hwmErr != nil {
		return fail(hwmErr)
	}
	res = runResult{
		Complaints: rep.Done, PerSecond: rep.PerSecond, CPUMillis: after.sub(before).Millis(), PeakRSSBytes: hwm,
		Ack: rep.SubmitToAck, Closed: rep.SubmitToClosed, Watch: rep.Watch, LoadgenSeconds: rep.WallSeconds,
	}

	stopped = true
	if err := stopServer(srv, exited, 60*time.Second); err != nil {
		return fail(err)
	}
	if res.Streams, res.Written, err = countStreams(ctx, data); err != nil {
		return res, fmt.Errorf("counting the stored messages: %w", err)
	}
	if !cfg.keep {
		_ = os.RemoveAll(data)
	}
	fmt.Fprintf(log, "benchcompare:   %.1f complaints/s, %.1f CPU ms/complaint, %d messages stored\n",
		res.PerSecond, res.CPUMillis/float64(res.Complaints), sum(res.Streams))
	return res, nil
}

// freePort is a loopback TCP port nothing listens on now.
func freePort() (int, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, err
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port, nil
}

// waitHealthy polls url/healthz until it answers 200, the server exits, or
// timeout passes.
func waitHealthy(ctx context.Context, url string, exited <-chan error, timeout time.Duration) error {
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	client := &http.Client{Timeout: 5 * time.Second}
	delay := 20 * time.Millisecond
	for {
		req, _ := http.NewRequestWithContext(ctx, http.MethodGet, url+"/healthz", nil)
		if resp, err := client.Do(req); err == nil {
			_, _ = io.Copy(io.Discard, resp.Body)
			_ = resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return nil
			}
		}
		select {
		case err := <-exited:
			return fmt.Errorf("the server exited before it was healthy: %v", err)
		case <-ctx.Done():
			return fmt.Errorf("the server was not healthy at %s/healthz within %s", url, timeout)
		case <-time.After(delay):
		}
		delay = min(2*delay, 500*time.Millisecond)
	}
}

// stopServer asks the server to stop (SIGTERM) and waits for it; after
// grace it kills it and says so.
func stopServer(srv *exec.Cmd, exited <-chan error, grace time.Duration) error {
	if err := srv.Process.Signal(syscall.SIGTERM); err != nil {
		return fmt.Errorf("stop the server: %w", err)
	}
	select {
	case err := <-exited:
		var ee *exec.ExitError
		if err != nil && !errors.As(err, &ee) {
			return fmt.Errorf("the server: %w", err)
		}
		return nil
	case <-time.After(grace):
		_ = srv.Process.Kill()
		<-exited
		return fmt.Errorf("the server did not stop within %s of SIGTERM and was killed", grace)
	}
}

func isDir(p string) bool {
	fi, err := os.Stat(p)
	return err == nil && fi.IsDir()
}

func isFile(p string) bool {
	fi, err := os.Stat(p)
	return err == nil && fi.Mode().IsRegular()
}

// tail is the last n lines of the file at path.
func tail(path string, n int) string {
	b, err := os.ReadFile(path)
	if err != nil {
		return err.Error()
	}
	lines := strings.Split(strings.TrimRight(string(b), "\n"), "\n")
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return strings.Join(lines, "\n")
}
