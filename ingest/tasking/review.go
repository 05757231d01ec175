package tasking

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/vigil-cctv/vigil/ingest/store"
)

// Sweep puts live deployments whose review date has come under review,
// and raises an alert for each review overdue (ReviewGrace past its date
// without a decision), again each ReviewGrace while it stays so. The
// service runs it every Interval; tests call it.
func (s *Service) Sweep(ctx context.Context) error {
	now := s.Now()
	due, err := s.Store.Deployments(ctx, store.DeploymentFilter{States: []string{store.DeploymentLive}, ReviewBefore: now})
	if err != nil {
		return err
	}
	var errs []error
	for _, d := range due {
		_, err := s.change(ctx, system, d.ID, "the review date has come", []string{store.DeploymentLive},
			func(d *store.Deployment, _ *store.DeploymentChange, _ time.Time) (string, error) {
				d.State = store.DeploymentUnderReview
				return "review due since " + day(d.ReviewDate), nil
			})
		if err != nil && !errors.Is(err, ErrTransition) {
			errs = append(errs, err)
		}
	}
	late, err := s.Store.Deployments(ctx, store.DeploymentFilter{States: []string{store.DeploymentUnderReview},
		ReviewBefore: now.Add(-s.ReviewGrace)})
	if err != nil {
		return errors.Join(append(errs, err)...)
	}
	for _, d := range late {
		if !d.OverdueAlerted.IsZero() && now.Sub(d.OverdueAlerted) < s.ReviewGrace {
			continue
		}
		if err := s.alertOverdue(ctx, d, now); err != nil {
			errs = append(errs, err)
		}
	}
	s.overdue.Set(float64(len(late)))
	if err := s.count(ctx); err != nil {
		errs = append(errs, err)
	}
	return errors.Join(errs...)
}

// count sets vigil_deployments by state.
func (s *Service) count(ctx context.Context) error {
	all, err := s.Store.Deployments(ctx, store.DeploymentFilter{Limit: 5000})
	if err != nil {
		return err
	}
	n := map[string]int{}
	for _, d := range all {
		n[d.State]++
	}
	for _, st := range store.DeploymentStates {
		s.states.WithLabelValues(st).Set(float64(n[st]))
	}
	return nil
}

// alertOverdue raises the overdue-review alert of d and notes when.
func (s *Service) alertOverdue(ctx context.Context, d store.Deployment, now time.Time) error {
	if s.Alerts == nil {
		return nil
	}
	days := int(now.Sub(d.ReviewDate).Hours() / 24)
	msg := fmt.Sprintf("Deployment %d (%s at %s, camera %s): review was due on %s, %d days ago; decide to extend or remove",
		d.ID, d.Request.Problem, d.Request.Address, d.Camera, day(d.ReviewDate.In(s.Location)), days)
	if _, err := s.Alerts.Raise(ctx, store.Alert{At: now, Camera: d.Camera, Kind: AlertKind, Rule: RuleReviewOverdue,
		Severity: store.SeverityWarning, Message: msg}); err != nil {
		return fmt.Errorf("deployment %d: overdue alert: %w", d.ID, err)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	d.OverdueAlerted = now
	return s.Store.UpdateDeployment(ctx, &store.DeploymentChange{Deployment: d, Event: store.DeploymentEvent{At: now,
		From: d.State, To: d.State, Actor: system.Name, Reason: "review overdue", Detail: msg}})
}

// Figures are an area's hotspot figures before a deployment went live and
// since, for its review.
type Figures struct {
	Before store.DeploymentEvidence `json:"before"`
	After  store.DeploymentEvidence `json:"after"`
}

// ReviewFigures are the figures of d's area (its ward's cameras and its
// own camera): the four weeks before it went live, and the last four
// weeks since (at most). A deployment not yet live has none.
func (s *Service) ReviewFigures(ctx context.Context, d store.Deployment) (Figures, bool, error) {
	return s.figures(ctx, d, s.Now(), nil)
}

// figures are ReviewFigures as they stood at end (or at the removal, if
// earlier), over the cameras all (nil: read them).
func (s *Service) figures(ctx context.Context, d store.Deployment, end time.Time, all []store.Camera) (Figures, bool, error) {
	if !d.RemovedAt.IsZero() && d.RemovedAt.Before(end) {
		end = d.RemovedAt
	}
	if d.LiveAt.IsZero() || d.LiveAt.After(end) {
		return Figures{}, false, nil
	}
	if all == nil {
		var err error
		if all, err = s.Store.ListCameras(ctx); err != nil {
			return Figures{}, false, err
		}
	}
	weeks := 7 * evidenceWeeks
	before, err := s.areaFigures(ctx, all, d.Request.Ward, []string{d.Camera}, d.LiveAt.AddDate(0, 0, -weeks), d.LiveAt)
	if err != nil {
		return Figures{}, false, err
	}
	from := end.AddDate(0, 0, -weeks)
	if from.Before(d.LiveAt) {
		from = d.LiveAt
	}
	if !end.After(from) {
		return Figures{Before: before}, true, nil // live this moment: nothing since yet
	}
	after, err := s.areaFigures(ctx, all, d.Request.Ward, []string{d.Camera}, from, end)
	if err != nil {
		return Figures{}, false, err
	}
	return Figures{Before: before, After: after}, true, nil
}

// Due reports whether d's review has come without a decision: it is live
// past its review date, or under review.
func (s *Service) Due(d store.Deployment, now time.Time) bool {
	return d.State == store.DeploymentUnderReview ||
		d.State == store.DeploymentLive && !d.ReviewDate.IsZero() && !d.ReviewDate.After(now)
}

// Overdue reports whether d's review is due and undecided longer than the
// grace after its date (it alerts).
func (s *Service) Overdue(d store.Deployment, now time.Time) bool {
	return s.Due(d, now) && now.Sub(d.ReviewDate) > s.ReviewGrace
}

// Bounds is the borough deployments are asked for in.
func (s *Service) Bounds() Bounds { return s.Borough }
