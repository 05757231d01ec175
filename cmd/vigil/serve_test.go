package main_test

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"syscall"
	"testing"
	"time"
)

// buildVigil builds vigil and vigil-verify into dir.
func buildVigil(t *testing.T, dir string) (bin, verify string) {
	t.Helper()
	bin, verify = filepath.Join(dir, "vigil"), filepath.Join(dir, "vigil-verify")
	for out, pkg := range map[string]string{bin: ".", verify: "../vigil-verify"} {
		if b, err := exec.Command("go", "build", "-o", out, pkg).CombinedOutput(); err != nil {
			t.Fatalf("build %s: %v\n%s", pkg, err, b)
		}
	}
	return bin, verify
}

// served is a running `vigil serve`.
type served struct {
	port   int
	data   string
	cfg    string // the config file
	cmd    *exec.Cmd
	stdout *syncBuffer
}

// serveVigil starts bin serve on a fresh data directory with a config of
// a free loopback port, that directory, quiet logs, quick ingest retries,
// 2 s segments, an evidence log checkpointing every second, and then
// body; it is killed when the test ends (its log shown if the test failed)
// and waited for until it answers.
func serveVigil(t *testing.T, bin, body string) *served {
	t.Helper()
	return serveVigilOn(t, bin, freePort(t), body)
}

// serveVigilOn is serveVigil on a port chosen beforehand (a body that
// names it: a cluster node's advertise_url).
func serveVigilOn(t *testing.T, bin string, port int, body string) *served {
	t.Helper()
	s := &served{port: port, data: t.TempDir(), stdout: &syncBuffer{}}
	s.cfg = filepath.Join(s.data, "vigil.yaml")
	if err := os.WriteFile(s.cfg, []byte(fmt.Sprintf(`listen: 127.0.0.1:%d
data_dir: %s
log_level: warn
ingest: {read_timeout: 3s, reconnect_min: 200ms, reconnect_max: 1s}
recorder: {segment_duration: 2s, sync_interval: 500ms, min_free_bytes: 0}
evidence: {origin: vigil.test-council.gov.uk/evidence, checkpoint_interval: 1s, verifier_dir: %s}
`, s.port, s.data, filepath.Join(s.data, "no-verifiers"))+body), 0o600); err != nil {
		t.Fatal(err)
	}
	stderr := &syncBuffer{}
	s.cmd = exec.Command(bin, "serve", "-config", s.cfg)
	s.cmd.Stdout, s.cmd.Stderr = s.stdout, stderr
	if err := s.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		s.cmd.Process.Kill()
		s.cmd.Wait()
		if t.Failed() {
			t.Logf("vigil serve's log:\n%s", anprTail(stderr.String(), 4000))
		}
	})
	waitHTTP(t, s.port)
	return s
}

// restart starts bin serve again on the same config and data directory
// (after a kill), and waits until it answers.
func (s *served) restart(t *testing.T, bin string) {
	t.Helper()
	s.cmd = exec.Command(bin, "serve", "-config", s.cfg)
	s.cmd.Stdout, s.cmd.Stderr = s.stdout, &syncBuffer{}
	if err := s.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	waitHTTP(t, s.port)
}

// stop asks the service to stop (SIGTERM) and waits for it, killing it
// after within; it says whether it stopped by itself.
func (s *served) stop(within time.Duration) bool {
	s.cmd.Process.Signal(syscall.SIGTERM)
	done := make(chan struct{})
	go func() { s.cmd.Wait(); close(done) }()
	select {
	case <-done:
		return true
	case <-time.After(within):
		s.cmd.Process.Kill()
		<-done
		return false
	}
}

// admin signs in as the first administrator.
func (s *served) admin(t *testing.T) *site { return firstAdmin(t, s.port, s.data, s.stdout) }
