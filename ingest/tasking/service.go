// Package tasking is the joint action group's (BJAG's) workflow for the
// borough's mobile cameras: a deployment is requested with its evidence
// and justification, approved or refused by a supervisor, scheduled on a
// mobile camera, confirmed live by the engineer who installs it (which
// moves the camera in the registry: ingest follows without a restart, and
// the camera's place is recorded so that footage is placed where it was
// taken), reviewed when its review date comes (before/after hotspot
// figures; an overdue review alerts), extended or taken down. Every
// transition is a store event and an evidence-log entry.
package tasking

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/vigil-cctv/vigil/evidence"
	"github.com/vigil-cctv/vigil/ingest/hotspots"
	"github.com/vigil-cctv/vigil/ingest/store"
)

// Store is what the service needs of the store (*store.Store).
type Store interface {
	AddDeployment(ctx context.Context, d *store.Deployment) error
	Deployment(ctx context.Context, id int64) (store.Deployment, error)
	Deployments(ctx context.Context, f store.DeploymentFilter) ([]store.Deployment, error)
	UpdateDeployment(ctx context.Context, c *store.DeploymentChange) error
	DeploymentEvents(ctx context.Context, id int64) ([]store.DeploymentEvent, error)
	ListCameras(ctx context.Context) ([]store.Camera, error)
	CameraAnalytics(ctx context.Context, camera string) (store.CameraAnalytics, error)
	PutCameraAnalytics(ctx context.Context, a store.CameraAnalytics) error
	hotspots.Source
}

// Cameras changes camera records so that ingest follows (the registry).
type Cameras interface {
	Get(ctx context.Context, id string) (store.Camera, error)
	Update(ctx context.Context, c *store.Camera) error
}

// Audit appends to the evidence log.
type Audit interface {
	Append(ctx context.Context, e *evidence.Entry) (uint64, error)
}

// Raiser raises alerts (*alerts.Service).
type Raiser interface {
	Raise(ctx context.Context, a store.Alert) (store.Alert, error)
}

// Reloader makes analytics pick up a camera's new privacy masks.
type Reloader interface {
	Reload(ctx context.Context, camera string) error
}

// Bounds is the borough: deployments are asked for inside it.
type Bounds struct {
	MinLat, MaxLat, MinLon, MaxLon float64
}

// Contains reports whether a point is inside.
func (b Bounds) Contains(lat, lon float64) bool {
	return lat >= b.MinLat && lat <= b.MaxLat && lon >= b.MinLon && lon <= b.MaxLon
}

// DefaultBorough is the demo borough's bounds (Barking and Dagenham,
// with a margin).
var DefaultBorough = Bounds{MinLat: 51.50, MaxLat: 51.60, MinLon: 0.04, MaxLon: 0.20}

// Alert kind and rule of an overdue review.
const (
	AlertKind         = "deployment"
	RuleReviewOverdue = "review-overdue"
)

// DefaultReviewGrace is how long after its review date a deployment may
// wait for the decision before the review is overdue (and alerts, again
// each ReviewGrace while it stays so).
const DefaultReviewGrace = 7 * 24 * time.Hour

// MaxDeploymentTerm bounds the wanted period and each review interval: a
// mobile camera's need is reviewed at least every six months.
const MaxDeploymentTerm = 184 * 24 * time.Hour

// Service runs the deployment workflow. Its methods are safe for
// concurrent use; the store refuses a change made from a stale read.
type Service struct {
	Store     Store
	Cameras   Cameras
	Audit     Audit
	Alerts    Raiser   // may be nil: no overdue alerts
	Analytics Reloader // may be nil
	Borough   Bounds   // zero: DefaultBorough
	// ReviewGrace: zero is DefaultReviewGrace.
	ReviewGrace time.Duration
	Location    *time.Location // dates are London days; nil is Europe/London
	Logger      *slog.Logger
	Now         func() time.Time // nil is time.Now
	// Interval is how often the sweeper looks for reviews due (0: 1 min).
	Interval time.Duration
	// Registerer takes vigil_deployments{state} and
	// vigil_deployment_reviews_overdue; may be nil.
	Registerer prometheus.Registerer

	states  *prometheus.GaugeVec
	overdue prometheus.Gauge

	cancel context.CancelFunc
	done   chan struct{}
	mu     sync.Mutex // one transition at a time: simple, and rare
}

// Initialize fills in the defaults and starts the review sweeper.
func (s *Service) Initialize() error {
	if s.Store == nil || s.Cameras == nil || s.Audit == nil {
		return errors.New("tasking: the service needs a store, the cameras and the evidence log")
	}
	if s.Borough == (Bounds{}) {
		s.Borough = DefaultBorough
	}
	if s.ReviewGrace <= 0 {
		s.ReviewGrace = DefaultReviewGrace
	}
	if s.Location == nil {
		s.Location = hotspots.London()
	}
	if s.Logger == nil {
		s.Logger = slog.Default()
	}
	if s.Now == nil {
		s.Now = time.Now
	}
	if s.Interval <= 0 {
		s.Interval = time.Minute
	}
	s.states = prometheus.NewGaugeVec(prometheus.GaugeOpts{Name: "vigil_deployments",
		Help: "Mobile camera deployments, by state."}, []string{"state"})
	s.overdue = prometheus.NewGauge(prometheus.GaugeOpts{Name: "vigil_deployment_reviews_overdue",
		Help: "Deployments whose review is undecided longer than the grace after its date."})
	if s.Registerer != nil {
		for _, c := range []prometheus.Collector{s.states, s.overdue} {
			if err := s.Registerer.Register(c); err != nil {
				return err
			}
		}
	}
	ctx, cancel := context.WithCancel(context.Background())
	s.cancel, s.done = cancel, make(chan struct{})
	go s.run(ctx)
	return nil
}

// Close stops the sweeper.
func (s *Service) Close() {
	if s.cancel == nil {
		return
	}
	s.cancel()
	<-s.done
}

func (s *Service) run(ctx context.Context) {
	defer close(s.done)
	t := time.NewTicker(s.Interval)
	defer t.Stop()
	for {
		if err := s.Sweep(ctx); err != nil && ctx.Err() == nil {
			s.Logger.Error("deployment reviews", "error", err)
		}
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}

// Actor is who makes a change.
type Actor struct {
	Name string // username, or a system actor: what the deployment's record shows
	Role string
	// Log is how the evidence log names them (a pseudonym); "" is Name.
	Log string
}

// system is the service itself (the review sweeper).
var system = Actor{Name: evidence.ActorWorkflow}

// today is the start of the London day of t.
func (s *Service) today(t time.Time) time.Time {
	l := t.In(s.Location)
	return time.Date(l.Year(), l.Month(), l.Day(), 0, 0, 0, 0, s.Location)
}

// FieldErrors and the life cycle's own errors are what callers show.
var (
	// ErrTransition: the action does not apply in the deployment's state.
	ErrTransition = errors.New("not possible in the deployment's state")
	// ErrNotMobile: only mobile cameras are deployed.
	ErrNotMobile = errors.New("only a mobile camera can be deployed")
)

func fieldErr(field, format string, args ...any) error {
	return store.FieldErrors{{Field: field, Msg: fmt.Sprintf(format, args...)}}
}
