package nuisance

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/vigil-cctv/vigil/ingest/analytics/anpr/ukplate"
	"github.com/vigil-cctv/vigil/ingest/store"
)

// Store is what the service needs of the store (*store.Store).
type Store interface {
	Watches(ctx context.Context, at time.Time) ([]store.Watch, error)
}

// Raiser raises alerts (*alerts.Service).
type Raiser interface {
	Raise(ctx context.Context, a store.Alert) (store.Alert, error)
}

// AlertKind is the kind of every alert this package raises; the rule is
// "watch-list" or a behaviour rule's name.
const AlertKind = "anpr"

// WatchlistRule names watch-list alerts.
const WatchlistRule = "watch-list"

// WatchQuiet is how long after a watch-list alert the same listed vehicle
// on the same camera raises no other: one held in traffic in front of a
// camera, or circling past it, is read passage after passage, and the
// repeat-pass rule is what speaks of circling.
const WatchQuiet = 10 * time.Minute

// DefaultMaxDistance is how far (ukplate.Distance) a read may be from a
// listed plate and still alert: two confusable characters (0/O and 8/B),
// not one wrong one.
const DefaultMaxDistance = 0.5

// Service matches reads against the watch-list and the behaviour rules.
type Service struct {
	Store       Store
	Alerts      Raiser
	Rules       []Rule
	MaxDistance float64 // 0 is DefaultMaxDistance
	Registerer  prometheus.Registerer
	Logger      *slog.Logger
	Now         func() time.Time // nil is time.Now

	hits *prometheus.CounterVec

	mu      sync.Mutex
	rules   []*ruleState
	watches []store.Watch
	loaded  time.Time            // when watches were read; zero: read again
	watched map[string]time.Time // camera and listed plate → last watch-list alert
	done    chan struct{}
	stopped chan struct{}
}

// watchReload is how often the watch-list is read again even unchanged
// (entries expire).
const watchReload = time.Minute

// Initialize checks the rules and starts the sweeper (dwell).
func (s *Service) Initialize() error {
	if s.Store == nil || s.Alerts == nil {
		return errors.New("nuisance: Service needs a Store and Alerts")
	}
	names := map[string]bool{}
	for i, r := range s.Rules {
		if err := r.Validate(); err != nil {
			return fmt.Errorf("anpr.rules[%d]: %w", i, err)
		}
		if names[r.Name] {
			return fmt.Errorf("anpr.rules[%d]: name: %q is used twice", i, r.Name)
		}
		names[r.Name] = true
		s.rules = append(s.rules, newRuleState(r))
	}
	if s.MaxDistance == 0 {
		s.MaxDistance = DefaultMaxDistance
	}
	if s.Logger == nil {
		s.Logger = slog.Default()
	}
	if s.Now == nil {
		s.Now = time.Now
	}
	s.hits = prometheus.NewCounterVec(prometheus.CounterOpts{Name: "vigil_anpr_rule_hits_total",
		Help: "Number-plate alerts raised, by rule (watch-list or a behaviour rule's name)."}, []string{"rule"})
	if s.Registerer != nil {
		if err := s.Registerer.Register(s.hits); err != nil {
			return err
		}
	}
	s.done, s.stopped = make(chan struct{}), make(chan struct{})
	go s.run()
	return nil
}

// Close stops the sweeper.
func (s *Service) Close() {
	if s.done == nil {
		return
	}
	close(s.done)
	<-s.stopped
}

// WatchlistChanged makes the next read use the watch-list as it is now.
func (s *Service) WatchlistChanged() {
	s.mu.Lock()
	s.loaded = time.Time{}
	s.mu.Unlock()
}

func (s *Service) run() {
	defer close(s.stopped)
	t := time.NewTicker(30 * time.Second)
	defer t.Stop()
	for {
		select {
		case <-s.done:
			return
		case <-t.C:
			s.Sweep(context.Background(), s.Now())
		}
	}
}

// Sweep raises the dwell alerts due by now (the service runs it every
// 30 s; tests call it).
func (s *Service) Sweep(ctx context.Context, now time.Time) {
	s.mu.Lock()
	var hits []hit
	for _, r := range s.rules {
		hits = append(hits, r.sweep(now)...)
	}
	s.mu.Unlock()
	s.raise(ctx, hits)
}

// Observe judges one stored read (its Thumbnail, if it has the bytes,
// goes on the alert).
func (s *Service) Observe(ctx context.Context, r store.PlateRead) {
	watches := s.watchlist(ctx)
	var hits []hit
	for _, w := range watches {
		if !w.Expires.After(r.At) {
			continue
		}
		d := ukplate.Distance(w.Plate, r.Plate)
		if d > s.MaxDistance {
			continue
		}
		how := "exact match"
		if d > 0 {
			how = fmt.Sprintf("near match: read %s, distance %.1f", r.Text, d)
		}
		if s.quiet(r.Camera+" "+w.Plate, r.At) {
			continue
		}
		hits = append(hits, hit{rule: Rule{Name: WatchlistRule, Severity: watchSeverity(w.Category, d)}, camera: r.Camera,
			at: r.At, read: r, plate: w.Plate, message: fmt.Sprintf("Watch-listed %s (%s: %s) seen on %s, %s",
				w.Plate, w.Category, w.Reason, r.Camera, how)})
	}
	s.mu.Lock()
	for _, rs := range s.rules {
		hits = append(hits, rs.observe(r)...)
	}
	s.mu.Unlock()
	s.raise(ctx, hits)
}

// quiet reports whether key (a camera and a listed plate) alerted within
// WatchQuiet before at, and if not, notes that it alerts at at.
func (s *Service) quiet(key string, at time.Time) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	if last, ok := s.watched[key]; ok && at.Sub(last) < WatchQuiet && !at.Before(last) {
		return true
	}
	if s.watched == nil || len(s.watched) >= maxPlates {
		for k, t := range s.watched { // the stale go first; all, should the list be that long
			if at.Sub(t) >= WatchQuiet || len(s.watched) >= maxPlates {
				delete(s.watched, k)
			}
		}
		if s.watched == nil {
			s.watched = map[string]time.Time{}
		}
	}
	s.watched[key] = at
	return false
}

// watchSeverity: a stolen vehicle is critical when read exactly; any near
// match is at most a warning, for a person to check the crop.
func watchSeverity(category string, d float64) string {
	if category == "stolen" && d == 0 {
		return store.SeverityCritical
	}
	return store.SeverityWarning
}

// watchlist is the watch-list in force, read again after a change or a minute.
func (s *Service) watchlist(ctx context.Context) []store.Watch {
	s.mu.Lock()
	defer s.mu.Unlock()
	now := s.Now()
	if !s.loaded.IsZero() && now.Sub(s.loaded) < watchReload {
		return s.watches
	}
	ws, err := s.Store.Watches(ctx, now)
	if err != nil {
		s.Logger.Warn("watch-list unreadable; matching against the last one read", "error", err)
		return s.watches
	}
	s.watches, s.loaded = ws, now
	return ws
}

func (s *Service) raise(ctx context.Context, hits []hit) {
	for _, h := range hits {
		a := store.Alert{At: h.at, Camera: h.camera, Kind: AlertKind, Rule: h.rule.Name, Severity: h.rule.Severity,
			Message: h.message, Thumbnail: h.read.Thumbnail, Plate: h.plate, ReadID: h.read.ID}
		if a.Plate == "" && h.rule.Kind != Gathering { // a car meet is about an area, not one plate
			a.Plate = h.read.Plate
		}
		if len(a.Thumbnail) == 0 {
			a.Thumbnail = h.read.Crop
		}
		if _, err := s.Alerts.Raise(ctx, a); err != nil {
			s.Logger.Error("number-plate alert not raised", "rule", h.rule.Name, "camera", h.camera, "error", err)
			continue
		}
		s.hits.WithLabelValues(h.rule.Name).Inc()
	}
}
