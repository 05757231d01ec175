package nuisance

import (
	"fmt"
	"slices"
	"time"

	"github.com/vigil-cctv/vigil/ingest/store"
)

// Rule kinds.
const (
	RepeatPass = "repeat-pass" // the same plate Count times in Window: cruising
	Dwell      = "dwell"       // read at an Entry camera and at no Exit camera for longer than Stay
	Gathering  = "gathering"   // Vehicles or more plates each making Count passes in Window: a car meet
)

// Rule is one behaviour rule over an area (a set of cameras) and, when
// Hours is set, a time of day.
type Rule struct {
	Name     string        `yaml:"name"`
	Kind     string        `yaml:"kind"`
	Cameras  []string      `yaml:"cameras"`         // the area (repeat-pass, gathering)
	Entry    []string      `yaml:"entry,omitempty"` // dwell
	Exit     []string      `yaml:"exit,omitempty"`  // dwell
	Count    int           `yaml:"count"`           // passes (default 3 for repeat-pass, 2 for gathering)
	Window   time.Duration `yaml:"window"`          // default 30m
	Stay     time.Duration `yaml:"stay"`            // dwell: default 20m
	Vehicles int           `yaml:"vehicles"`        // gathering: default 5
	// Hours limits the rule to London hours [from, to); from > to wraps
	// midnight (22-6 is the night); both 0 is all day.
	Hours    [2]int `yaml:"hours"`
	Severity string `yaml:"severity"` // default warning
}

func (r *Rule) defaults() {
	if r.Count == 0 {
		r.Count = map[string]int{RepeatPass: 3, Gathering: 2, Dwell: 1}[r.Kind]
	}
	if r.Window == 0 {
		r.Window = 30 * time.Minute
	}
	if r.Stay == 0 && r.Kind == Dwell {
		r.Stay = 20 * time.Minute
	}
	if r.Vehicles == 0 && r.Kind == Gathering {
		r.Vehicles = 5
	}
	if r.Severity == "" {
		r.Severity = store.SeverityWarning
	}
}

// Validate checks a rule after defaults; messages name the field.
func (r Rule) Validate() error {
	r.defaults()
	switch {
	case r.Name == "" || len(r.Name) > 100:
		return fmt.Errorf("name: required (at most 100 bytes)")
	case r.Kind != RepeatPass && r.Kind != Dwell && r.Kind != Gathering:
		return fmt.Errorf("kind: %q must be %s, %s or %s", r.Kind, RepeatPass, Dwell, Gathering)
	case r.Kind != Dwell && len(r.Cameras) == 0:
		return fmt.Errorf("cameras: name the cameras of the area")
	case r.Kind == Dwell && (len(r.Entry) == 0 || len(r.Exit) == 0):
		return fmt.Errorf("entry, exit: a dwell rule needs entry and exit cameras")
	case r.Count < 1 || r.Count > 100:
		return fmt.Errorf("count: %d is not between 1 and 100", r.Count)
	case r.Window < time.Minute || r.Window > 24*time.Hour:
		return fmt.Errorf("window: %v is not between 1m and 24h", r.Window)
	case r.Kind == Dwell && (r.Stay < time.Minute || r.Stay > 7*24*time.Hour):
		return fmt.Errorf("stay: %v is not between 1m and 7 days", r.Stay)
	case r.Kind == Gathering && (r.Vehicles < 2 || r.Vehicles > 1000):
		return fmt.Errorf("vehicles: %d is not between 2 and 1000", r.Vehicles)
	case r.Hours[0] < 0 || r.Hours[0] > 24 || r.Hours[1] < 0 || r.Hours[1] > 24:
		return fmt.Errorf("hours: %v must be London hours 0-24", r.Hours)
	case !slices.Contains([]string{store.SeverityInfo, store.SeverityWarning, store.SeverityCritical}, r.Severity):
		return fmt.Errorf("severity: %q must be info, warning or critical", r.Severity)
	}
	return nil
}

var london = mustLondon()

func mustLondon() *time.Location {
	loc, err := time.LoadLocation("Europe/London")
	if err != nil {
		return time.UTC
	}
	return loc
}

// inHours reports whether t falls in the rule's London hours.
func (r Rule) inHours(t time.Time) bool {
	from, to := r.Hours[0], r.Hours[1]
	if from == to {
		return true
	}
	h := t.In(london).Hour()
	if from < to {
		return h >= from && h < to
	}
	return h >= from || h < to
}

// covers reports whether camera is part of the rule's area.
func (r Rule) covers(camera string) bool {
	return slices.Contains(r.Cameras, camera) || slices.Contains(r.Entry, camera) || slices.Contains(r.Exit, camera)
}
