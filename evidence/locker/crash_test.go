package locker

import (
	"bufio"
	"context"
	"fmt"
	"github.com/vigil-cctv/vigil/evidence"
	"math/rand/v2"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

// TestCrashChild is the appender the crash test kills: it appends from
// several goroutines and prints "<seq> <detail>" once each append returned.
func TestCrashChild(t *testing.T) {
	dir := os.Getenv("EVIDENCE_CRASH_DIR")
	if dir == "" {
		t.Skip("run by TestCrashLosesNothingAcknowledged")
	}
	l := &Log{Dir: dir, Origin: testOrigin, CreateKey: true, CheckpointInterval: 20 * time.Millisecond}
	if err := l.Open(); err != nil {
		fmt.Println("open:", err)
		os.Exit(3)
	}
	var mu sync.Mutex
	out := bufio.NewWriter(os.Stdout)
	var wg sync.WaitGroup
	for g := 0; g < 8; g++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := 0; ; i++ {
				detail := fmt.Sprintf("g%d-%d-%d", g, os.Getpid(), i)
				seq, err := l.Append(context.Background(), &evidence.Entry{Action: evidence.ActionPlayback, Actor: evidence.ActorAnonymous, Detail: detail})
				if err != nil {
					return
				}
				mu.Lock()
				fmt.Fprintf(out, "%d %s\n", seq, detail)
				out.Flush()
				mu.Unlock()
			}
		}()
	}
	wg.Wait()
}

// TestCrashLosesNothingAcknowledged kills an appending process with
// SIGKILL at random points, many times over one log: after each restart
// every acknowledged entry is there, and the tree matches its checkpoint.
func TestCrashLosesNothingAcknowledged(t *testing.T) {
	if testing.Short() {
		t.Skip("spawns processes")
	}
	dir := t.TempDir()
	acked := map[int64]string{}
	for round := 0; round < 12; round++ {
		cmd := exec.Command(os.Args[0], "-test.run=^TestCrashChild$")
		cmd.Env = append(os.Environ(), "EVIDENCE_CRASH_DIR="+dir)
		stdout, err := cmd.StdoutPipe()
		if err != nil {
			t.Fatal(err)
		}
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		lines := make(chan string, 1024)
		go func() {
			defer close(lines)
			sc := bufio.NewScanner(stdout)
			for sc.Scan() {
				lines <- sc.Text()
			}
		}()
		// Let it append a while, then kill it mid-stream.
		deadline := time.After(time.Duration(50+rand.IntN(250)) * time.Millisecond)
		n := 0
	read:
		for {
			select {
			case line, ok := <-lines:
				if !ok {
					t.Fatalf("round %d: child stopped early; last line %q", round, line)
				}
				if f := strings.Fields(line); len(f) == 2 {
					seq, _ := strconv.ParseInt(f[0], 10, 64)
					acked[seq] = f[1]
					n++
				} else {
					t.Fatalf("child: %s", line)
				}
			case <-deadline:
				if n > 0 {
					break read
				}
				deadline = time.After(50 * time.Millisecond)
			}
		}
		cmd.Process.Signal(syscall.SIGKILL)
		for line := range lines { // acknowledgements printed before it died
			if f := strings.Fields(line); len(f) == 2 {
				seq, _ := strconv.ParseInt(f[0], 10, 64)
				acked[seq] = f[1]
			}
		}
		cmd.Wait()

		l := &Log{Dir: dir, Origin: testOrigin, CheckpointInterval: -1}
		if err := l.Open(); err != nil { // recomputes the tree, checks the checkpoint
			t.Fatalf("round %d: reopen: %v", round, err)
		}
		for seq, detail := range acked {
			e, _, err := l.ReadEntry(seq)
			if err != nil {
				t.Fatalf("round %d: acknowledged entry %d lost: %v", round, seq, err)
			}
			if e.Action == evidence.ActionPlayback && e.Detail != detail {
				t.Fatalf("round %d: entry %d is %q, acknowledged as %q", round, seq, e.Detail, detail)
			}
		}
		l.Close()
	}
	if len(acked) < 100 {
		t.Fatalf("only %d appends acknowledged over all rounds", len(acked))
	}
}
