package tasking

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/vigil-cctv/vigil/ingest/store"
	"github.com/vigil-cctv/vigil/ingest/zones"
)

// change moves deployment id on: it must be in one of the states from;
// edit changes it (and may set where its camera goes) and says what it
// did; the change is stored with its event and logged with who and why.
func (s *Service) change(ctx context.Context, by Actor, id int64, reason string, from []string,
	edit func(d *store.Deployment, c *store.DeploymentChange, now time.Time) (string, error)) (store.Deployment, error) {
	reason = strings.TrimSpace(reason)
	if reason == "" || len(reason) > store.MaxDeploymentText {
		return store.Deployment{}, fieldErr("reason", "say why (1-%d characters): it goes in the evidence log", store.MaxDeploymentText)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	d, err := s.Store.Deployment(ctx, id)
	if err != nil {
		return store.Deployment{}, err
	}
	if !slices.Contains(from, d.State) {
		return d, fmt.Errorf("deployment %d is %s: %w", id, d.State, ErrTransition)
	}
	now := s.Now()
	c := &store.DeploymentChange{Deployment: d}
	detail, err := edit(&c.Deployment, c, now)
	if err != nil {
		return d, err
	}
	c.Event = store.DeploymentEvent{At: now, From: d.State, To: c.Deployment.State, Actor: by.Name, Reason: reason, Detail: detail}
	if err := s.Store.UpdateDeployment(ctx, c); err != nil {
		return d, err
	}
	return c.Deployment, s.audit(ctx, by, c.Deployment, d.State, reason, detail)
}

// reviewDate checks a review date: after today, within MaxDeploymentTerm.
func (s *Service) reviewDate(field string, t, now time.Time) error {
	today := s.today(now)
	switch {
	case t.IsZero():
		return fieldErr(field, "required")
	case !t.After(today.AddDate(0, 0, 1).Add(-time.Nanosecond)):
		return fieldErr(field, "must be after today")
	case t.Sub(now) > MaxDeploymentTerm:
		return fieldErr(field, "at most %d days ahead: a deployment is reviewed at least that often", int(MaxDeploymentTerm.Hours()/24))
	}
	return nil
}

// notPast checks a date that may be today but not before.
func (s *Service) notPast(field string, t, now time.Time) error {
	switch {
	case t.IsZero():
		return fieldErr(field, "required")
	case t.Before(s.today(now)):
		return fieldErr(field, "is in the past")
	}
	return nil
}

func day(t time.Time) string { return t.Format("2006-01-02") }

// Approve approves a request, with the date it is to be reviewed by.
func (s *Service) Approve(ctx context.Context, by Actor, id int64, review time.Time, note string) (store.Deployment, error) {
	return s.change(ctx, by, id, note, []string{store.DeploymentRequested}, func(d *store.Deployment, _ *store.DeploymentChange, now time.Time) (string, error) {
		if err := s.reviewDate("review_date", review, now); err != nil {
			return "", err
		}
		d.State, d.DecidedBy, d.DecidedAt, d.Decision, d.ReviewDate = store.DeploymentApproved, by.Name, now, note, review
		return "review by " + day(review), nil
	})
}

// Refuse refuses a request, with the reason.
func (s *Service) Refuse(ctx context.Context, by Actor, id int64, reason string) (store.Deployment, error) {
	return s.change(ctx, by, id, reason, []string{store.DeploymentRequested}, func(d *store.Deployment, _ *store.DeploymentChange, now time.Time) (string, error) {
		d.State, d.DecidedBy, d.DecidedAt, d.Decision = store.DeploymentRefused, by.Name, now, reason
		return "refused", nil
	})
}

// Schedule assigns a mobile camera and the install date (again, to change them).
func (s *Service) Schedule(ctx context.Context, by Actor, id int64, camera string, install time.Time, reason string) (store.Deployment, error) {
	c, err := s.Cameras.Get(ctx, camera)
	if err != nil {
		return store.Deployment{}, fmt.Errorf("camera %s: %w", camera, err)
	}
	if c.Kind != store.KindMobile {
		return store.Deployment{}, fmt.Errorf("camera %s is %s: %w", camera, c.Kind, ErrNotMobile)
	}
	if c.ManagedBy == store.ManagedByConfig {
		// Its place and streams are the config file's: the install could not move it.
		return store.Deployment{}, fieldErr("camera", "%s is kept in the config file, so it cannot be moved here: deploy cameras added through the API", camera)
	}
	return s.change(ctx, by, id, reason, []string{store.DeploymentApproved, store.DeploymentScheduled},
		func(d *store.Deployment, _ *store.DeploymentChange, now time.Time) (string, error) {
			if err := s.notPast("install_date", install, now); err != nil {
				return "", err
			}
			d.State, d.Camera, d.InstallDate = store.DeploymentScheduled, camera, install
			return fmt.Sprintf("camera %s, install on %s", camera, day(install)), nil
		})
}

// Install is what the engineer confirms at the site.
type Install struct {
	Latitude, Longitude float64
	Name                string // the camera's name there; default "<address> (mobile)"
	Address             string // default the request's
	Site, Ward          string // Ward defaults to the request's
	MainURL, SubURL     string // the camera's streams there; empty: unchanged
	// Masks are its privacy masks there (nil: unchanged); required when
	// the request said masks are needed and the camera has none.
	Masks []zones.Polygon
}

// Confirm puts the deployment live: the camera's record takes its new
// place and streams (ingest follows at once, nothing restarts), its
// privacy masks are set, and its place is recorded from now on.
func (s *Service) Confirm(ctx context.Context, by Actor, id int64, in Install, reason string) (store.Deployment, error) {
	if !s.Borough.Contains(in.Latitude, in.Longitude) {
		return store.Deployment{}, fieldErr("latitude", "%.5f, %.5f is outside the borough", in.Latitude, in.Longitude)
	}
	if err := zones.ValidateSet(nil, nil, in.Masks); err != nil {
		return store.Deployment{}, fieldErr("privacy_masks", "%v", err)
	}
	return s.change(ctx, by, id, reason, []string{store.DeploymentScheduled}, func(d *store.Deployment, c *store.DeploymentChange, now time.Time) (string, error) {
		cam, err := s.Cameras.Get(ctx, d.Camera)
		if err != nil {
			return "", err
		}
		set, err := s.Store.CameraAnalytics(ctx, d.Camera)
		if err != nil {
			return "", err
		}
		if d.Request.Privacy.MasksNeeded && len(in.Masks) == 0 && len(set.Privacy) == 0 {
			return "", fieldErr("privacy_masks", "the request says privacy masks are needed: draw them before the camera goes live")
		}
		in.Address = cmpOr(strings.TrimSpace(in.Address), d.Request.Address)
		in.Ward = cmpOr(strings.TrimSpace(in.Ward), d.Request.Ward)
		in.Name = cmpOr(strings.TrimSpace(in.Name), in.Address+" (mobile)")
		lat, lon := in.Latitude, in.Longitude
		cam.Latitude, cam.Longitude, cam.Name, cam.Ward, cam.Enabled = &lat, &lon, in.Name, in.Ward, true
		if in.Site != "" {
			cam.Site = in.Site
		}
		if in.MainURL != "" {
			cam.MainURL = in.MainURL
		}
		if in.SubURL != "" {
			cam.SubURL = in.SubURL
		}
		if err := s.Cameras.Update(ctx, &cam); err != nil {
			return "", fmt.Errorf("camera %s: %w", d.Camera, err)
		}
		if in.Masks != nil {
			set.Privacy, set.UpdatedBy = in.Masks, by.Name
			if err := s.Store.PutCameraAnalytics(ctx, set); err != nil {
				return "", err
			}
			if s.Analytics != nil {
				if err := s.Analytics.Reload(ctx, d.Camera); err != nil {
					s.Logger.Warn("analytics did not take the new privacy masks", "camera", d.Camera, "error", err)
				}
			}
		}
		d.State, d.LiveAt, d.OverdueAlerted = store.DeploymentLive, now, time.Time{}
		c.Place = &store.CameraLocation{Camera: d.Camera, From: now, Latitude: lat, Longitude: lon, Name: in.Name,
			Address: in.Address, Site: cam.Site, Ward: in.Ward, DeploymentID: d.ID}
		return fmt.Sprintf("camera %s live at %s (%.5f, %.5f), %d privacy masks", d.Camera, in.Address, lat, lon, len(set.Privacy)+len(in.Masks)), nil
	})
}

// Extend keeps a live (or reviewed) deployment up until a new review date.
func (s *Service) Extend(ctx context.Context, by Actor, id int64, review time.Time, reason string) (store.Deployment, error) {
	return s.change(ctx, by, id, reason, []string{store.DeploymentLive, store.DeploymentUnderReview},
		func(d *store.Deployment, _ *store.DeploymentChange, now time.Time) (string, error) {
			if err := s.reviewDate("review_date", review, now); err != nil {
				return "", err
			}
			d.State, d.ReviewDate, d.OverdueAlerted = store.DeploymentLive, review, time.Time{}
			return "extended: review by " + day(review), nil
		})
}

// ScheduleRemoval decides the camera comes down, and when.
func (s *Service) ScheduleRemoval(ctx context.Context, by Actor, id int64, removal time.Time, reason string) (store.Deployment, error) {
	return s.change(ctx, by, id, reason, []string{store.DeploymentLive, store.DeploymentUnderReview},
		func(d *store.Deployment, _ *store.DeploymentChange, now time.Time) (string, error) {
			if err := s.notPast("removal_date", removal, now); err != nil {
				return "", err
			}
			d.State, d.RemovalDate = store.DeploymentRemovalScheduled, removal
			return "remove on " + day(removal), nil
		})
}

// ConfirmRemoval is the engineer saying the camera is down: its place
// ends and it is disabled (no recording, no offline alarms) until its
// next deployment.
func (s *Service) ConfirmRemoval(ctx context.Context, by Actor, id int64, reason string) (store.Deployment, error) {
	return s.change(ctx, by, id, reason, []string{store.DeploymentRemovalScheduled},
		func(d *store.Deployment, c *store.DeploymentChange, now time.Time) (string, error) {
			cam, err := s.Cameras.Get(ctx, d.Camera)
			if err != nil {
				return "", err
			}
			cam.Enabled = false
			if err := s.Cameras.Update(ctx, &cam); err != nil {
				return "", fmt.Errorf("camera %s: %w", d.Camera, err)
			}
			d.State, d.RemovedAt, c.Leave = store.DeploymentRemoved, now, now
			return fmt.Sprintf("camera %s removed and disabled", d.Camera), nil
		})
}

// Cancel withdraws a deployment before its camera is live.
func (s *Service) Cancel(ctx context.Context, by Actor, id int64, reason string) (store.Deployment, error) {
	return s.change(ctx, by, id, reason, []string{store.DeploymentRequested, store.DeploymentApproved, store.DeploymentScheduled},
		func(d *store.Deployment, _ *store.DeploymentChange, _ time.Time) (string, error) {
			d.State = store.DeploymentCancelled
			return "cancelled", nil
		})
}

func cmpOr(a, b string) string {
	if a != "" {
		return a
	}
	return b
}
