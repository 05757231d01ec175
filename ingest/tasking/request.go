package tasking

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/vigil-cctv/vigil/evidence"
	"github.com/vigil-cctv/vigil/ingest/hotspots"
	"github.com/vigil-cctv/vigil/ingest/store"
)

// evidenceWeeks is how far back a request's hotspot evidence looks.
const evidenceWeeks = 4

// Request records a BJAG request. The area must be inside the borough, the
// wanted period must not start before today nor last longer than
// MaxDeploymentTerm; the area's hotspot figures of the last four weeks
// are attached as its evidence, with the incident references given.
func (s *Service) Request(ctx context.Context, by Actor, r store.DeploymentRequest) (store.Deployment, error) {
	if err := r.Validate(); err != nil {
		return store.Deployment{}, err
	}
	now := s.Now()
	var fe store.FieldErrors
	if !s.Borough.Contains(r.Latitude, r.Longitude) {
		fe = append(fe, &store.FieldError{Field: "latitude", Msg: fmt.Sprintf(
			"%.5f, %.5f is outside the borough (latitude %.2f to %.2f, longitude %.2f to %.2f)",
			r.Latitude, r.Longitude, s.Borough.MinLat, s.Borough.MaxLat, s.Borough.MinLon, s.Borough.MaxLon)})
	}
	if r.WantedFrom.Before(s.today(now)) {
		fe = append(fe, &store.FieldError{Field: "wanted_from", Msg: "is in the past"})
	}
	if r.WantedTo.Sub(r.WantedFrom) > MaxDeploymentTerm {
		fe = append(fe, &store.FieldError{Field: "wanted_to", Msg: fmt.Sprintf(
			"a deployment is asked for at most %d days at a time (reviews extend it)", int(MaxDeploymentTerm.Hours()/24))})
	}
	if len(fe) > 0 {
		return store.Deployment{}, fe
	}
	for i, ref := range r.Evidence.Incidents {
		r.Evidence.Incidents[i] = strings.TrimSpace(ref)
	}
	all, err := s.Store.ListCameras(ctx)
	if err != nil {
		return store.Deployment{}, err
	}
	ev, err := s.areaFigures(ctx, all, r.Ward, nil, now.AddDate(0, 0, -7*evidenceWeeks), now)
	if err != nil {
		return store.Deployment{}, err
	}
	ev.Incidents = r.Evidence.Incidents
	r.Evidence = ev
	d := store.Deployment{Request: r, RequestedBy: by.Name, RequestedAt: now}
	s.mu.Lock()
	defer s.mu.Unlock()
	if err := s.Store.AddDeployment(ctx, &d); err != nil {
		return store.Deployment{}, err
	}
	if err := s.audit(ctx, by, d, "", r.Purpose, fmt.Sprintf("%s at %s (%s), wanted %s to %s; hotspot score %.1f, %d vehicle rule hits, incidents %s",
		r.Problem, r.Address, r.Ward, r.WantedFrom.Format("2006-01-02"), r.WantedTo.Format("2006-01-02"),
		ev.Score, ev.RuleHits, strings.Join(ev.Incidents, ", "))); err != nil {
		return d, err
	}
	return d, nil
}

// areaFigures are the hotspot figures over [from, to) of the ward's
// cameras among all, and of the cameras extra.
func (s *Service) areaFigures(ctx context.Context, all []store.Camera, ward string, extra []string, from, to time.Time) (store.DeploymentEvidence, error) {
	var cams []store.Camera
	for _, c := range all {
		if (ward != "" && strings.EqualFold(c.Ward, ward)) || slices.Contains(extra, c.ID) {
			cams = append(cams, c)
		}
	}
	ev := store.DeploymentEvidence{From: from.UTC(), To: to.UTC(), Cameras: []string{}}
	if len(cams) == 0 {
		return ev, nil
	}
	rep, err := hotspots.Build(ctx, s.Store, s.Location, hotspots.Query{From: from, To: to, By: hotspots.ByWard, Cameras: cams})
	if err != nil {
		return ev, err
	}
	frames, motion := 0, 0.0
	for _, row := range rep.Rows {
		ev.Cameras = append(ev.Cameras, row.Cameras...)
		ev.RuleHits += row.RuleHits
		ev.Score = max(ev.Score, row.Score)
		frames += row.Frames
		motion += row.MotionShare * float64(row.Frames)
	}
	if frames > 0 {
		ev.MotionShare = motion / float64(frames)
	}
	slices.Sort(ev.Cameras)
	return ev, nil
}

// audit records a transition of d (from the state from) in the evidence log.
func (s *Service) audit(ctx context.Context, by Actor, d store.Deployment, from, reason, detail string) error {
	if from != "" {
		detail = fmt.Sprintf("%s → %s; %s", from, d.State, detail)
	}
	_, err := s.Audit.Append(ctx, &evidence.Entry{Action: evidence.Action("deployment." + d.State), Actor: cmpOr(by.Log, by.Name), Role: by.Role,
		Camera: d.Camera, Reason: clip(reason), Ref: fmt.Sprintf("deployment/%d", d.ID), Detail: clip(detail)})
	if err != nil {
		s.Logger.Error("deployment changed but not recorded in the evidence log", "deployment", d.ID, "state", d.State, "error", err)
		return fmt.Errorf("deployment %d is %s, but the evidence log could not record it: %w", d.ID, d.State, err)
	}
	return nil
}

// clip bounds a text for the log, cut at a character.
func clip(s string) string {
	const most = 1000
	if len(s) <= most {
		return s
	}
	n := most
	for n > 0 && !utf8.RuneStart(s[n]) {
		n--
	}
	return s[:n]
}
