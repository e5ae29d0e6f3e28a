package natsservertest

import (
	"io"
	"os"
	"os/exec"
	"syscall"
	"time"
)

// Child is the test binary started again to run one of its tests as a
// process of its own (a node of a cluster here, an instance of a service
// in the system tests), so that a test can kill it with SIGKILL. It is
// killed with the test process, should that die first, and asked to stop
// by closing its standard input.
type Child struct {
	cmd    *exec.Cmd
	stdin  io.WriteCloser
	exited chan struct{} // closed once the process has exited
}

// StartChild starts the test binary running only test, with env added to
// its environment and its output appended to the file logPath.
func StartChild(test string, env []string, logPath string) (*Child, error) {
	cmd := exec.Command(os.Args[0], "-test.run=^"+test+"$", "-test.timeout=0")
	cmd.Env = append(os.Environ(), env...)
	log, err := os.OpenFile(logPath, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o600)
	if err != nil {
		return nil, err
	}
	defer log.Close()
	cmd.Stdout, cmd.Stderr = log, log
	stdin, err := cmd.StdinPipe()
	if err != nil {
		return nil, err
	}
	cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
	if err := cmd.Start(); err != nil {
		return nil, err
	}
	c := &Child{cmd: cmd, stdin: stdin, exited: make(chan struct{})}
	go func() { _ = cmd.Wait(); close(c.exited) }()
	return c, nil
}

// Exited is closed once the process has exited.
func (c *Child) Exited() <-chan struct{} { return c.exited }

// State is how the process ended (nil while it runs).
func (c *Child) State() *os.ProcessState {
	select {
	case <-c.exited:
		return c.cmd.ProcessState
	default:
		return nil
	}
}

// Kill kills the process with SIGKILL and waits until it is gone.
func (c *Child) Kill() error {
	if err := c.cmd.Process.Kill(); err != nil {
		return err
	}
	<-c.exited
	return nil
}

// Stop closes the process's standard input, so that it shuts down, and
// kills it if it is still there after grace.
func (c *Child) Stop(grace time.Duration) {
	_ = c.stdin.Close()
	select {
	case <-c.exited:
	case <-time.After(grace):
		_ = c.Kill()
	}
}

// CPU is the user and system CPU time the process has used: so far while
// it runs, in all once it has exited.
func (c *Child) CPU() time.Duration {
	if st := c.State(); st != nil {
		return st.UserTime() + st.SystemTime()
	}
	return ProcessCPU(c.cmd.Process.Pid)
}
