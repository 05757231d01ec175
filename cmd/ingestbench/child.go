package main

import (
	"bufio"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"strings"
	"syscall"
	"time"
)

// child is a process of this binary in another role, driven over a line
// protocol: one command line on its stdin, one JSON line on its stdout.
// Its stderr (logs) goes to ours.
type child struct {
	name  string
	cmd   *exec.Cmd
	in    io.WriteCloser
	lines chan []byte // stdout lines; closed at EOF
	exit  chan struct{}
}

// startChild runs os.Executable() with args.
func startChild(name string, args ...string) (*child, error) {
	self, err := os.Executable()
	if err != nil {
		return nil, err
	}
	cmd := exec.Command(self, args...)
	cmd.Stderr = os.Stderr
	in, err := cmd.StdinPipe()
	if err != nil {
		return nil, err
	}
	out, err := cmd.StdoutPipe()
	if err != nil {
		return nil, err
	}
	if err := cmd.Start(); err != nil {
		return nil, fmt.Errorf("%s: %w", name, err)
	}
	c := &child{name: name, cmd: cmd, in: in, lines: make(chan []byte, 1), exit: make(chan struct{})}
	go func() {
		defer close(c.lines)
		sc := bufio.NewScanner(out)
		sc.Buffer(make([]byte, 0, 1<<20), 64<<20)
		for sc.Scan() {
			c.lines <- append([]byte(nil), sc.Bytes()...)
		}
	}()
	return c, nil
}

// reply is the envelope of every answer of a child.
type reply struct {
	Error string          `json:"error,omitempty"`
	Data  json.RawMessage `json:"data,omitempty"`
}

// read waits for the child's next answer and decodes it into v.
func (c *child) read(v any, timeout time.Duration) error {
	t := time.NewTimer(timeout)
	defer t.Stop()
	select {
	case line, ok := <-c.lines:
		if !ok {
			return fmt.Errorf("%s exited unexpectedly (see its log above)", c.name)
		}
		var r reply
		if err := json.Unmarshal(line, &r); err != nil {
			return fmt.Errorf("%s: bad answer %q: %w", c.name, line, err)
		}
		if r.Error != "" {
			return fmt.Errorf("%s: %s", c.name, r.Error)
		}
		if v == nil {
			return nil
		}
		return json.Unmarshal(r.Data, v)
	case <-t.C:
		return fmt.Errorf("%s: no answer within %v", c.name, timeout)
	}
}

// call sends a command and decodes the answer into v (nil to ignore it).
func (c *child) call(command string, v any) error {
	return c.callWithin(command, v, 30*time.Second)
}

// callWithin is call with its own timeout.
func (c *child) callWithin(command string, v any, timeout time.Duration) error {
	if _, err := io.WriteString(c.in, command+"\n"); err != nil {
		return fmt.Errorf("%s: %s: %w", c.name, command, err)
	}
	return c.read(v, timeout)
}

// stop closes the child's stdin (it exits at EOF) and returns its resource
// usage; after timeout it is killed.
func (c *child) stop(timeout time.Duration) (*syscall.Rusage, error) {
	c.in.Close()
	done := make(chan error, 1)
	go func() { done <- c.cmd.Wait() }()
	var err error
	select {
	case err = <-done:
	case <-time.After(timeout):
		c.cmd.Process.Kill() //nolint:errcheck // it may have just exited
		err = <-done
		if err == nil {
			err = errors.New("killed")
		}
		err = fmt.Errorf("%s did not exit within %v: %w", c.name, timeout, err)
	}
	var ru *syscall.Rusage
	if c.cmd.ProcessState != nil {
		ru, _ = c.cmd.ProcessState.SysUsage().(*syscall.Rusage)
	}
	return ru, err
}

// serveCommands is the child side: it answers each command line on stdin
// with handle's result until EOF.
func serveCommands(handle func(cmd, arg string) (any, error)) error {
	sc := bufio.NewScanner(os.Stdin)
	enc := json.NewEncoder(os.Stdout)
	for sc.Scan() {
		cmd, arg, _ := strings.Cut(strings.TrimSpace(sc.Text()), " ")
		v, err := handle(cmd, arg)
		if err := answer(enc, v, err); err != nil {
			return err
		}
	}
	return sc.Err()
}

func answer(enc *json.Encoder, v any, err error) error {
	var r reply
	if err != nil {
		r.Error = err.Error()
	} else if v != nil {
		data, merr := json.Marshal(v)
		if merr != nil {
			r.Error = merr.Error()
		}
		r.Data = data
	}
	return enc.Encode(r)
}

// announce writes the child's first line (ready, or why not).
func announce(v any, err error) {
	answer(json.NewEncoder(os.Stdout), v, err) //nolint:errcheck // the parent went away
}
