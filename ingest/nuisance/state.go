package nuisance

import (
	"fmt"
	"slices"
	"sort"
	"strings"
	"time"

	"github.com/vigil-cctv/vigil/ingest/store"
)

// maxPlates bounds the plates one rule remembers; past it the stalest go.
const maxPlates = 50_000

// hit is a rule firing: what the alert says.
type hit struct {
	rule    Rule
	camera  string
	at      time.Time
	message string
	read    store.PlateRead // the read that tipped it (its thumbnail and id)
	plate   string          // the plate the alert is about, when not the read's (a watch-list entry's); "" for an area
}

// ruleState is what one rule remembers of recent reads.
type ruleState struct {
	Rule
	passes  map[string][]time.Time // plate → times seen in the area, within Window
	alerted map[string]time.Time   // plate (or "" for the area) → when last alerted
	entered map[string]store.PlateRead
}

func newRuleState(r Rule) *ruleState {
	r.defaults()
	return &ruleState{Rule: r, passes: map[string][]time.Time{}, alerted: map[string]time.Time{}, entered: map[string]store.PlateRead{}}
}

// observe takes one read and returns the hits it causes.
func (s *ruleState) observe(r store.PlateRead) []hit {
	if !s.covers(r.Camera) || !s.inHours(r.At) {
		return nil
	}
	switch s.Kind {
	case Dwell:
		switch {
		case slices.Contains(s.Exit, r.Camera):
			delete(s.entered, r.Plate)
		case slices.Contains(s.Entry, r.Camera):
			if _, in := s.entered[r.Plate]; !in {
				s.entered[r.Plate] = r
				s.bound()
			}
		}
		return nil
	}
	ts := append(s.passes[r.Plate], r.At)
	ts = recent(ts, r.At.Add(-s.Window))
	s.passes[r.Plate] = ts
	s.bound()
	var hits []hit
	if s.Kind == RepeatPass && len(ts) >= s.Count && s.quiet(r.Plate, r.At) {
		hits = append(hits, hit{rule: s.Rule, camera: r.Camera, at: r.At, read: r, message: fmt.Sprintf(
			"%s seen %d times in %s in area %q (%s): cruising", r.Text, len(ts), s.Window, s.Name, strings.Join(s.Cameras, ", "))})
	}
	if s.Kind == Gathering {
		var cruising []string
		for p, pts := range s.passes {
			if len(recent(pts, r.At.Add(-s.Window))) >= s.Count {
				cruising = append(cruising, p)
			}
		}
		if len(cruising) >= s.Vehicles && s.quiet("", r.At) {
			sort.Strings(cruising)
			hits = append(hits, hit{rule: s.Rule, camera: r.Camera, at: r.At, read: r, message: fmt.Sprintf(
				"%d vehicles each passing %d+ times in %s in area %q: possible car meet (%s)", len(cruising), s.Count, s.Window,
				s.Name, strings.Join(first(cruising, 10), ", "))})
		}
	}
	return hits
}

// sweep finds vehicles that entered longer than Stay ago and have not left.
func (s *ruleState) sweep(now time.Time) []hit {
	var hits []hit
	for p, r := range s.entered {
		if now.Sub(r.At) > s.Stay {
			delete(s.entered, p)
			hits = append(hits, hit{rule: s.Rule, camera: r.Camera, at: now, read: r, message: fmt.Sprintf(
				"%s entered area %q at %s (%s) and has not been seen leaving for %s",
				r.Text, s.Name, r.At.In(london).Format("15:04"), r.Camera, now.Sub(r.At).Round(time.Minute))})
		}
	}
	for p, ts := range s.passes {
		if len(recent(ts, now.Add(-s.Window))) == 0 {
			delete(s.passes, p)
		}
	}
	for p, at := range s.alerted {
		if now.Sub(at) > s.Window {
			delete(s.alerted, p)
		}
	}
	return hits
}

// quiet reports whether key has not been alerted on within Window, and
// marks it alerted now: one alert per vehicle (or area) per window.
func (s *ruleState) quiet(key string, at time.Time) bool {
	if last, ok := s.alerted[key]; ok && at.Sub(last) < s.Window {
		return false
	}
	s.alerted[key] = at
	return true
}

// bound drops the stalest plates past maxPlates.
func (s *ruleState) bound() {
	for len(s.passes) > maxPlates {
		oldest, at := "", time.Time{}
		for p, ts := range s.passes {
			if last := ts[len(ts)-1]; oldest == "" || last.Before(at) {
				oldest, at = p, last
			}
		}
		delete(s.passes, oldest)
	}
	for len(s.entered) > maxPlates {
		oldest, at := "", time.Time{}
		for p, r := range s.entered {
			if oldest == "" || r.At.Before(at) {
				oldest, at = p, r.At
			}
		}
		delete(s.entered, oldest)
	}
}

// recent is the times of ts at or after since (ts in order).
func recent(ts []time.Time, since time.Time) []time.Time {
	i := sort.Search(len(ts), func(i int) bool { return !ts[i].Before(since) })
	return ts[i:]
}

func first(s []string, n int) []string {
	if len(s) > n {
		return append(s[:n:n], "...")
	}
	return s
}
