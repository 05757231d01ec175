package ptz

import (
	"context"
	"errors"
	"fmt"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/vigil-cctv/vigil/cmd/camsim/sim"
	"github.com/vigil-cctv/vigil/cmd/camsim/sim/simtest"
	"github.com/vigil-cctv/vigil/evidence"
	"github.com/vigil-cctv/vigil/evidence/locker"
)

// rig is a camsim PTZ dome (cam001, ONVIF with digest/WS-Security
// credentials) steered by a Controller that logs to a real evidence log.
type rig struct {
	sim *sim.Server
	log *locker.Log
	c   *Controller
}

type devices struct{ dev Device }

func (d devices) PTZDevice(_ context.Context, camera string) (Device, error) {
	if camera != "cam001" {
		return Device{}, fmt.Errorf("camera %s: %w", camera, ErrNotPTZ)
	}
	return d.dev, nil
}

func newRig(t *testing.T) *rig {
	t.Helper()
	s := simtest.Start(t, 1, func(c *sim.Config) {
		c.PTZ = []string{"cam001"}
		c.ONVIFListen = "127.0.0.1:0"
		c.User, c.Pass = "operator", "s3cret"
	})
	l := &locker.Log{Dir: filepath.Join(t.TempDir(), "evidence"), Origin: "vigil.test/evidence", CreateKey: true, CheckpointInterval: -1}
	if err := l.Open(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { l.Close() })
	c := &Controller{Cameras: devices{Device{XAddr: s.ONVIFURL(1), Username: "operator", Password: "s3cret", Profile: "main"}},
		Audit: l, DeadMan: 300 * time.Millisecond, LockIdle: time.Minute}
	t.Cleanup(c.Close)
	return &rig{sim: s, log: l, c: c}
}

var (
	olly  = Person{Username: "olly", Display: "Olly Operator", Actor: "person:olly", Role: "operator"}
	omar  = Person{Username: "omar", Display: "Omar Operator", Actor: "person:omar", Role: "operator"}
	sally = Person{Username: "sally", Display: "Sally Supervisor", Actor: "person:sally", Role: "supervisor", Override: true}
)

func (r *rig) status(t *testing.T) sim.PTZStatus {
	t.Helper()
	st, err := r.sim.PTZStatus("cam001")
	if err != nil {
		t.Fatal(err)
	}
	return st
}

// entries are the PTZ entries in the log, as "actor: detail".
func (r *rig) entries() []string {
	var out []string
	r.log.Scan(0, r.log.Size(), func(e evidence.Entry, _ []byte) bool {
		if e.Action == evidence.ActionPTZ || e.Action == evidence.ActionPTZLock {
			out = append(out, e.Actor+": "+e.Detail)
		}
		return true
	})
	return out
}

func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	for end := time.Now().Add(10 * time.Second); !cond(); time.Sleep(20 * time.Millisecond) {
		if time.Now().After(end) {
			t.Fatalf("timed out waiting for %s", what)
		}
	}
}

func TestContinuousMoveStopsWhenNobodyRepeatsIt(t *testing.T) {
	r := newRig(t)
	ctx := context.Background()
	// The browser repeats the move while the key is held: the dome keeps
	// moving, and the log has the move once.
	for i := 0; i < 5; i++ {
		if _, err := r.c.Do(ctx, olly, "cam001", Command{Action: Continuous, Pan: 0.5}); err != nil {
			t.Fatal(err)
		}
		time.Sleep(100 * time.Millisecond)
	}
	if st := r.status(t); !st.PanTiltMoving || st.Position.Pan <= 0 {
		t.Fatalf("while held: %+v", st)
	}
	// Then the browser goes away: the dead-man stops the dome.
	waitFor(t, "the dead-man stop", func() bool { return !r.status(t).PanTiltMoving })
	got := r.entries()
	want := []string{"person:olly: continuous pan 0.50 tilt 0.00 zoom 0.00",
		"system:ptz: stop: dead-man, no command within 300ms from person:olly"}
	if strings.Join(got, "|") != strings.Join(want, "|") {
		t.Fatalf("log:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
}

func TestOneOperatorAtATimeAndASupervisorTakesOver(t *testing.T) {
	r := newRig(t)
	ctx := context.Background()
	if _, err := r.c.Do(ctx, olly, "cam001", Command{Action: Absolute, Pan: 0.2, Tilt: 0.1, Zoom: 0.3}); err != nil {
		t.Fatal(err)
	}
	var locked *LockedError
	_, err := r.c.Do(ctx, omar, "cam001", Command{Action: Home})
	if !errors.As(err, &locked) || locked.Lock.Holder != "olly" || !strings.Contains(err.Error(), "Olly Operator") {
		t.Fatalf("a second operator's command: %v", err)
	}
	if _, err := r.c.Take(ctx, omar, "cam001"); !errors.As(err, &locked) {
		t.Fatalf("an operator taking a held dome: %v", err)
	}
	// Olly moves on; the supervisor takes the dome, which stops.
	if _, err := r.c.Do(ctx, olly, "cam001", Command{Action: Continuous, Tilt: -0.4}); err != nil {
		t.Fatal(err)
	}
	l, err := r.c.Take(ctx, sally, "cam001")
	if err != nil || l.Holder != "sally" {
		t.Fatalf("supervisor take: %+v %v", l, err)
	}
	if st := r.status(t); st.PanTiltMoving {
		t.Fatalf("the dome still moves after the supervisor took it: %+v", st)
	}
	if _, err := r.c.Do(ctx, olly, "cam001", Command{Action: Stop}); !errors.As(err, &locked) || locked.Lock.Holder != "sally" {
		t.Fatalf("the first operator after the take: %v", err)
	}
	// Presets: set, move away, go back.
	res, err := r.c.Do(ctx, sally, "cam001", Command{Action: SetPreset, Name: "High St & Market"})
	if err != nil || res.Preset == "" {
		t.Fatalf("set preset: %+v %v", res, err)
	}
	at := r.status(t).Position
	if _, err := r.c.Do(ctx, sally, "cam001", Command{Action: Home}); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "home", func() bool { s := r.status(t); return !s.PanTiltMoving && !s.ZoomMoving && s.Position != at })
	if _, err := r.c.Do(ctx, sally, "cam001", Command{Action: GotoPreset, Preset: res.Preset}); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "the preset", func() bool { s := r.status(t); return !s.PanTiltMoving && !s.ZoomMoving && near(s.Position, at) })
	st, err := r.c.State(ctx, "cam001")
	if err != nil || st.Lock.Holder != "sally" || len(st.Presets) != 1 || st.Presets[0].Name != "High St & Market" || st.Position == nil {
		t.Fatalf("state: %+v %v", st, err)
	}
	// Released, the dome is free for the next operator.
	if _, err := r.c.Release(ctx, sally, "cam001"); err != nil {
		t.Fatal(err)
	}
	if _, err := r.c.Do(ctx, omar, "cam001", Command{Action: Relative, Pan: -0.1}); err != nil {
		t.Fatalf("after the release: %v", err)
	}
	want := []string{
		"person:olly: absolute pan 0.20 tilt 0.10 zoom 0.30",
		"person:olly: continuous pan 0.00 tilt -0.40 zoom 0.00",
		"person:sally: took control from person:olly",
		`person:sally: set preset "High St & Market"`,
		"person:sally: home",
		"person:sally: go to preset " + res.Preset,
		"person:sally: released control",
		"person:omar: relative pan -0.10 tilt 0.00 zoom 0.00",
	}
	if got := r.entries(); strings.Join(got, "|") != strings.Join(want, "|") {
		t.Fatalf("log:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
}

func near(a, b sim.PTZPosition) bool {
	d := func(x, y float64) bool { return x-y < 0.01 && y-x < 0.01 }
	return d(a.Pan, b.Pan) && d(a.Tilt, b.Tilt) && d(a.Zoom, b.Zoom)
}

func TestNothingMovesThatTheLogCannotRecord(t *testing.T) {
	r := newRig(t)
	r.log.Close()
	_, err := r.c.Do(context.Background(), olly, "cam001", Command{Action: Absolute, Pan: 0.9})
	if err == nil || !strings.Contains(err.Error(), "evidence log") {
		t.Fatalf("a move the log cannot record: %v", err)
	}
	if st := r.status(t); st.PanTiltMoving || st.Position.Pan != 0 {
		t.Fatalf("the dome moved: %+v", st)
	}
}

func TestBadCommandsAndCameras(t *testing.T) {
	r := newRig(t)
	ctx := context.Background()
	for _, c := range []Command{{Action: "spin"}, {Action: Continuous, Pan: 2}, {Action: Absolute, Zoom: -0.5},
		{Action: GotoPreset}, {Action: SetPreset, Name: strings.Repeat("x", 65)}} {
		if _, err := r.c.Do(ctx, olly, "cam001", c); !errors.Is(err, ErrBadCommand) {
			t.Errorf("%+v: %v", c, err)
		}
	}
	if _, err := r.c.Do(ctx, olly, "cam002", Command{Action: Home}); !errors.Is(err, ErrNotPTZ) {
		t.Errorf("a fixed camera: %v", err)
	}
	if _, err := r.c.Do(ctx, olly, "cam001", Command{Action: GotoPreset, Preset: "nope"}); err == nil {
		t.Error("an unknown preset was accepted")
	}
}

// Commands to one dome from several operators at once: one holds it, the
// others are told who; nothing races.
func TestConcurrentCommands(t *testing.T) {
	r := newRig(t)
	var wg sync.WaitGroup
	var mu sync.Mutex
	ok := map[string]int{}
	for _, p := range []Person{olly, omar} {
		for i := 0; i < 5; i++ {
			wg.Add(1)
			go func() {
				defer wg.Done()
				if _, err := r.c.Do(context.Background(), p, "cam001", Command{Action: Continuous, Pan: 0.1 * float64(i)}); err == nil {
					mu.Lock()
					ok[p.Username]++
					mu.Unlock()
				}
			}()
		}
	}
	wg.Wait()
	if len(ok) != 1 {
		t.Fatalf("commands that went through, by person: %v (want one holder)", ok)
	}
}
