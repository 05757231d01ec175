package main_test

// The ANPR end-to-end test: camsim plays the plates scene (vehicles with
// known UK plates passing one by one, once two side by side) over RTSP to a
// real `vigil serve` reading plates on that camera, and Vigil's reads,
// pictures and alerts are checked against the scene's ground truth.

import (
	"bytes"
	"context"
	"fmt"
	"image/jpeg"
	"math"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/vigil-cctv/vigil/cmd/camsim/sim"
	"github.com/vigil-cctv/vigil/cmd/camsim/sim/simtest"
)

// Thresholds of the end-to-end test. Every passage shown while Vigil
// analysed the camera must be read, once: no duplicate, no read outside a
// passage, and each read's times inside its passage's window.
// anprE2EMinExact is the share of those passages whose read must be the
// exact plate: 10 of the 11 (the reader's synthetic target is 97% per
// passage, on pictures not squeezed by H.264 at 512 kbit/s).
const (
	anprE2EMinRead  = 1.0
	anprE2EMinExact = 0.9
	// anprE2ETimeSlack is how far outside a passage's window a read's times
	// may be: one sub-stream frame.
	anprE2ETimeSlack = 200 * time.Millisecond
)

// anprSub is the stream plates are read on: camsim's default sub stream,
// 640x360 at 5 fps; anprMain is a small main stream with the same GOP, so
// that `camsim -generate -scene cam001:plates -main-size 320x180
// -main-bitrate 300k -clip-seconds 4` makes every clip the test needs.
var (
	anprSub  = sim.DefaultConfig().Sub
	anprMain = sim.StreamSpec{Width: 320, Height: 180, FPS: 25, GOP: anprSub.GOP, Bitrate: 300_000}
)

// plateReadE2E is a read as GET /api/v1/anpr/reads answers it.
type plateReadE2E struct {
	ID        int64     `json:"id"`
	Camera    string    `json:"camera"`
	At        time.Time `json:"at"`
	First     time.Time `json:"first"`
	Last      time.Time `json:"last"`
	Plate     string    `json:"plate"`
	Text      string    `json:"text"`
	Direction string    `json:"direction"`
	Frames    int       `json:"frames"`
	Crop      *string   `json:"crop"`
	Thumbnail *string   `json:"thumbnail"`
}

// passageShown is one passage of the scene at one loop, on the wall clock.
type passageShown struct {
	sim.PlatePassage
	loop        int
	start, end  time.Time
	reads       []plateReadE2E
	exact       bool
	rightDirect bool
}

func TestANPREndToEnd(t *testing.T) {
	began := time.Now()
	tmp := t.TempDir()

	// The plates clips (cached in the repository's clip cache) are made
	// while vigil builds.
	var wg sync.WaitGroup
	var truth sim.Truth
	var clipErr error
	wg.Add(1)
	go func() {
		defer wg.Done()
		for _, spec := range []sim.StreamSpec{anprSub, anprMain} {
			_, tr, err := sim.GenerateScene(context.Background(), simtest.ClipDir(t), "ffmpeg", sim.ScenePlates, spec)
			if err != nil {
				clipErr = err
				return
			}
			if spec == anprSub {
				truth = tr
			}
		}
	}()
	bin := filepath.Join(tmp, "vigil")
	if b, err := exec.Command("go", "build", "-o", bin, ".").CombinedOutput(); err != nil {
		t.Fatalf("build vigil: %v\n%s", err, b)
	}
	wg.Wait()
	if clipErr != nil {
		t.Fatal(clipErr)
	}
	t.Logf("vigil built and clips ready in %v", time.Since(began).Round(100*time.Millisecond))

	cameras := simtest.Start(t, 1, func(c *sim.Config) {
		c.Main, c.Sub = anprMain, anprSub
		c.Scenes = map[string]sim.Scene{"cam001": sim.ScenePlates}
	})
	data := t.TempDir()
	port := freePort(t)
	cfg := filepath.Join(data, "vigil.yaml")
	if err := os.WriteFile(cfg, []byte(fmt.Sprintf(`listen: 127.0.0.1:%d
data_dir: %s
log_level: warn
ingest: {read_timeout: 3s, reconnect_min: 200ms, reconnect_max: 1s}
recorder: {segment_duration: 2s, sync_interval: 500ms, min_free_bytes: 0}
evidence: {origin: vigil.test-council.gov.uk/evidence, checkpoint_interval: 1s, verifier_dir: %s}
anpr:
  enabled: true
  cameras: [cam001]
  rules:
    - {name: cruising, kind: repeat-pass, cameras: [cam001], count: 2, window: 5m}
cameras:
  - {id: cam001, name: "Ripple Road (plates)", ward: Central, kind: fixed, main_url: %q, sub_url: %q}
`, port, data, filepath.Join(tmp, "none"), cameras.URL(1, "main"), cameras.URL(1, "sub"))), 0o600); err != nil {
		t.Fatal(err)
	}
	stdout, stderr := &syncBuffer{}, &syncBuffer{}
	cmd := exec.Command(bin, "serve", "-config", cfg)
	cmd.Stdout, cmd.Stderr = stdout, stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		cmd.Process.Kill()
		cmd.Wait()
		if t.Failed() {
			t.Logf("vigil serve's log:\n%s", anprTail(stderr.String(), 4000))
		}
	})
	waitHTTP(t, port)

	// A supervisor lists one of the scene's plates as stolen before the
	// camera is read.
	admin := firstAdmin(t, port, data, stdout)
	sup := admin.person(t, port, "sup.kay", "Kay Supervisor", "supervisor")
	const listed = "YD68 HMV"
	var watch struct {
		ID    int64  `json:"id"`
		Plate string `json:"plate"`
	}
	sup.json(t, "POST", "/api/v1/anpr/watchlist", map[string]string{"plate": listed, "category": "stolen",
		"reason": "reported stolen, crime ref 01/23456/26"}, 201, &watch)

	bs := &browserSite{port: port, data: data, cams: []string{"cam001"}}
	bs.waitOnline(t, sup)
	online := time.Now()
	scene, clipStart, ok := cameras.SceneClock("cam001")
	if !ok || scene != sim.ScenePlates {
		t.Fatalf("SceneClock = %s, %v", scene, ok)
	}
	loop := time.Duration(truth.Seconds * float64(time.Second))

	// The passages to read: those starting once analysis has begun (at the
	// sub stream's next keyframe after the camera came online), over one
	// whole loop. Those around them (partly seen, or after) may be read too,
	// and are matched, but not counted.
	from := online.Add(anprSub.GOP + 200*time.Millisecond)
	var all, shown []*passageShown
	for k := 0; k < 3; k++ {
		for _, p := range truth.Passages {
			s := &passageShown{PlatePassage: p, loop: k, start: clipStart.Add(time.Duration(k)*loop + anprSecs(p.Start)),
				end: clipStart.Add(time.Duration(k)*loop + anprSecs(p.End))}
			all = append(all, s)
			if !s.start.Before(from) && s.start.Before(from.Add(loop)) {
				shown = append(shown, s)
			}
		}
	}
	sort.Slice(shown, func(i, j int) bool { return shown[i].start.Before(shown[j].start) })
	lastEnd := shown[len(shown)-1].end
	// A passage is read once its plate has been out of sight for the
	// tracker's gap (1.5 s); allow for the analysis falling behind.
	deadline := lastEnd.Add(8 * time.Second)
	t.Logf("camera online %v after the clip started; %d passages to read from %v to %v (clip time %.1fs to %.1fs)",
		online.Sub(clipStart).Round(100*time.Millisecond), len(shown), shown[0].start.Format("15:04:05.0"),
		lastEnd.Format("15:04:05.0"), clipTime(shown[0].start, clipStart, loop), clipTime(lastEnd, clipStart, loop))

	reason := url.QueryEscape("ANPR end-to-end test against the plates scene's ground truth")
	query := fmt.Sprintf("/api/v1/anpr/reads?camera=cam001&limit=1000&reason=%s&from=%s", reason,
		url.QueryEscape(began.Add(-time.Minute).UTC().Format(time.RFC3339)))
	var reads []plateReadE2E
	var stray []plateReadE2E
	for {
		var res struct {
			Reads []plateReadE2E `json:"reads"`
		}
		sup.json(t, "GET", query+"&to="+url.QueryEscape(time.Now().Add(time.Minute).UTC().Format(time.RFC3339)), nil, 200, &res)
		reads = res.Reads
		stray = matchReads(reads, all)
		done := time.Now().After(lastEnd.Add(1500 * time.Millisecond))
		for _, s := range shown {
			done = done && len(s.reads) > 0
		}
		if done || time.Now().After(deadline) {
			break
		}
		time.Sleep(500 * time.Millisecond)
	}

	// Figures over the passages to read; duplicates and times over every
	// passage matched; false reads are those no passage took.
	var readN, exactN, dupN, directN, outside int
	var report strings.Builder
	for _, s := range all {
		got := make([]string, 0, len(s.reads))
		for _, r := range s.reads {
			got = append(got, fmt.Sprintf("%s@%.1fs/%s/%df", r.Text, clipTime(r.At, clipStart, loop), r.Direction, r.Frames))
			if r.First.Before(s.start.Add(-anprE2ETimeSlack)) || r.Last.After(s.end.Add(anprE2ETimeSlack)) {
				outside++
			}
		}
		if len(s.reads) > 1 {
			dupN += len(s.reads) - 1
		}
		required := slices.Contains(shown, s)
		if !required && len(s.reads) == 0 {
			continue
		}
		if required {
			if len(s.reads) > 0 {
				readN++
			}
			if s.exact {
				exactN++
			}
			if s.rightDirect {
				directN++
			}
		}
		fmt.Fprintf(&report, "\n  loop %d %5.1f-%5.1fs %-9s %-7s → %v", s.loop, s.Start, s.End, s.Plate, s.Direction, got)
		if s.LowLight {
			report.WriteString(" (at dusk)")
		}
		if !required {
			report.WriteString(" (not counted: partly seen or after the loop)")
		}
	}
	var falseReads []string
	for _, r := range stray {
		falseReads = append(falseReads, fmt.Sprintf("%s@%.1fs", r.Text, clipTime(r.At, clipStart, loop)))
	}
	n := len(shown)
	t.Logf("ANPR end to end: passages read %d/%d, exact plate %d/%d (%.0f%%), duplicates %d, false reads %d %v, "+
		"reads timed outside their passage %d, direction right %d/%d; all reads %d; took %v%s",
		readN, n, exactN, n, 100*float64(exactN)/float64(n), dupN, len(falseReads), falseReads, outside, directN, readN,
		len(reads), time.Since(began).Round(time.Second), report.String())

	if len(reads) == 0 {
		t.Fatal("no plate reads at all")
	}
	if float64(readN) < anprE2EMinRead*float64(n) || float64(exactN) < anprE2EMinExact*float64(n) {
		t.Errorf("passages read %d/%d (want %.0f%%), exact plates %d/%d (want %.0f%%)",
			readN, n, 100*anprE2EMinRead, exactN, n, 100*anprE2EMinExact)
	}
	if dupN > 0 || len(falseReads) > 0 || outside > 0 {
		t.Errorf("%d duplicate reads, %d false reads, %d reads timed outside their passage", dupN, len(falseReads), outside)
	}

	// A search for the cruising plate finds its reads, and only those.
	cruiser := cruisingPlate(truth)
	var found struct {
		Reads []plateReadE2E `json:"reads"`
	}
	sup.json(t, "GET", query+"&plate="+url.QueryEscape(cruiser)+"&to="+url.QueryEscape(time.Now().Add(time.Minute).UTC().Format(time.RFC3339)),
		nil, 200, &found)
	want := 0
	for _, r := range reads {
		if r.Plate == plain(cruiser) {
			want++
		}
	}
	if len(found.Reads) != want || want < 2 {
		t.Errorf("search for %s: %d reads, want its %d (at least 2)", cruiser, len(found.Reads), want)
	}
	for _, r := range found.Reads {
		if r.Plate != plain(cruiser) {
			t.Errorf("search for %s found %+v", cruiser, r)
		}
	}

	// Every read's crop and thumbnail are served as JPEG pictures.
	for _, r := range reads {
		for _, u := range []*string{r.Crop, r.Thumbnail} {
			if u == nil {
				t.Errorf("read %d (%s): no crop or thumbnail", r.ID, r.Text)
				continue
			}
			code, body := sup.do(t, "GET", *u+"?reason="+reason, nil)
			if code != 200 {
				t.Errorf("GET %s: %d %s", *u, code, body)
				continue
			}
			if _, err := jpeg.DecodeConfig(bytes.NewReader(body)); err != nil {
				t.Errorf("GET %s: not a JPEG: %v", *u, err)
			}
		}
	}

	// Alerts: the listed plate and the cruising one.
	var alerts []alertE2E
	anprWaitUntil(t, 10*time.Second, "the watch-list and repeat-pass alerts", func() bool {
		var res struct {
			Alerts []alertE2E `json:"alerts"`
		}
		sup.json(t, "GET", "/api/v1/alerts?limit=1000", nil, 200, &res)
		alerts = res.Alerts
		return findAlert(alerts, "watch-list", listed) != nil && findAlert(alerts, "cruising", cruiser) != nil
	}, func() string { return fmt.Sprintf("%+v", alerts) })
	wl := findAlert(alerts, "watch-list", listed)
	if wl.Camera != "cam001" || wl.Thumbnail == nil || wl.ReadID == nil || !strings.Contains(wl.Message, "stolen") {
		t.Errorf("watch-list alert %+v: want cam001, stolen, with its read and a thumbnail", wl)
	} else if code, body := sup.do(t, "GET", *wl.Thumbnail, nil); code != 200 {
		t.Errorf("GET %s: %d %s", *wl.Thumbnail, code, body)
	} else if _, err := jpeg.DecodeConfig(bytes.NewReader(body)); err != nil {
		t.Errorf("GET %s: not a JPEG: %v", *wl.Thumbnail, err)
	}
	for _, a := range alerts {
		if a.Kind == "anpr" && a.Rule == "watch-list" && findAlert([]alertE2E{a}, "watch-list", listed) == nil {
			t.Errorf("a watch-list alert for an unlisted plate: %+v", a)
		}
		if a.Kind == "anpr" && a.Rule == "cruising" && findAlert([]alertE2E{a}, "cruising", cruiser) == nil {
			t.Errorf("a repeat-pass alert for a plate passing once a loop: %+v", a)
		}
	}
	t.Logf("alerts: %+v; test took %v", alerts, time.Since(began).Round(time.Second))
}

// alertE2E is an alert as GET /api/v1/alerts answers it.
type alertE2E struct {
	ID        int64     `json:"id"`
	At        time.Time `json:"at"`
	Camera    string    `json:"camera"`
	Kind      string    `json:"kind"`
	Rule      string    `json:"rule"`
	Severity  string    `json:"severity"`
	Message   string    `json:"message"`
	Thumbnail *string   `json:"thumbnail"`
	Plate     string    `json:"plate"`   // normal form
	ReadID    *int64    `json:"read_id"` // the read that raised it
}

// findAlert is the anpr alert of rule about plate.
func findAlert(alerts []alertE2E, rule, plate string) *alertE2E {
	for i, a := range alerts {
		if a.Kind == "anpr" && a.Rule == rule && a.Plate == plain(plate) {
			return &alerts[i]
		}
	}
	return nil
}

// cruisingPlate is the plate the scene shows most often.
func cruisingPlate(tr sim.Truth) string {
	count := map[string]int{}
	best := ""
	for _, p := range tr.Passages {
		count[p.Plate]++
		if count[p.Plate] > count[best] {
			best = p.Plate
		}
	}
	return best
}

// matchReads gives each passage the reads whose time (the surest
// frame's) is inside its window, within the slack: for passages together
// the read of its plate, else the nearest in time. It returns the reads no
// passage took.
func matchReads(reads []plateReadE2E, passages []*passageShown) (stray []plateReadE2E) {
	for _, s := range passages {
		s.reads, s.exact, s.rightDirect = nil, false, false
	}
	for _, r := range reads {
		var best *passageShown
		for _, s := range passages {
			if r.At.Before(s.start.Add(-anprE2ETimeSlack)) || r.At.After(s.end.Add(anprE2ETimeSlack)) {
				continue
			}
			switch {
			case best == nil, r.Plate == plain(s.Plate) && r.Plate != plain(best.Plate):
				best = s
			case (r.Plate == plain(s.Plate)) == (r.Plate == plain(best.Plate)) &&
				absDur(r.At.Sub(passageMid(s))) < absDur(r.At.Sub(passageMid(best))):
				best = s
			}
		}
		if best == nil {
			stray = append(stray, r)
			continue
		}
		best.reads = append(best.reads, r)
		best.exact = len(best.reads) == 1 && r.Plate == plain(best.Plate)
		best.rightDirect = len(best.reads) == 1 && r.Direction == best.Direction
	}
	return stray
}

// plain is a mark in normal form, as reads' plate field has it.
func plain(mark string) string { return strings.ReplaceAll(mark, " ", "") }

func absDur(d time.Duration) time.Duration {
	if d < 0 {
		return -d
	}
	return d
}

func passageMid(s *passageShown) time.Time { return s.start.Add(s.end.Sub(s.start) / 2) }

func anprSecs(s float64) time.Duration { return time.Duration(math.Round(s * float64(time.Second))) }

// clipTime is where wall time at falls in the clip's loop, in seconds.
func clipTime(at, clipStart time.Time, loop time.Duration) float64 {
	d := at.Sub(clipStart) % loop
	if d < 0 {
		d += loop
	}
	return d.Seconds()
}

// waitUntil polls cond until it holds or the timeout passes.
func anprWaitUntil(t *testing.T, timeout time.Duration, what string, cond func() bool, state func() string) {
	t.Helper()
	deadline := time.Now().Add(timeout)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("no %s after %v: %s", what, timeout, state())
		}
		time.Sleep(250 * time.Millisecond)
	}
}

func anprTail(s string, n int) string {
	if len(s) > n {
		return "…" + s[len(s)-n:]
	}
	return s
}
