package store

import (
	"context"
	"errors"
	"testing"
	"time"
)

var depT0 = time.Date(2026, 11, 24, 10, 0, 0, 0, time.UTC)

func sampleRequest() DeploymentRequest {
	return DeploymentRequest{Latitude: 51.539, Longitude: 0.081, Ward: "Abbey", Address: " Market Square, by the clock tower ",
		Problem: "street-drinking", Evidence: DeploymentEvidence{Incidents: []string{"CAD 1234/24NOV26"}},
		WantedFrom: depT0.Add(7 * 24 * time.Hour), WantedTo: depT0.Add(97 * 24 * time.Hour),
		Purpose: "Deter and record street drinking reported nightly", LessIntrusive: "Patrols and a PSPO have not stopped it",
		Privacy: PrivacyCheck{DwellingsInView: true, MasksNeeded: true, Notes: "Flats above the shops: windows masked"}, SignageConfirmed: true}
}

func TestDeploymentLifeCycleInStore(t *testing.T) { bothBackends(t, testDeploymentLifeCycleInStore) }

func testDeploymentLifeCycleInStore(t *testing.T) {
	s, _ := openTemp(t)
	ctx := context.Background()
	d := Deployment{Request: sampleRequest(), RequestedBy: "bea", RequestedAt: depT0}
	if err := s.AddDeployment(ctx, &d); err != nil || d.ID == 0 || d.State != DeploymentRequested || d.Request.Address != "Market Square, by the clock tower" {
		t.Fatalf("add %+v: %v", d, err)
	}
	got, err := s.Deployment(ctx, d.ID)
	if err != nil || got.Request.Problem != "street-drinking" || got.Request.Privacy.Notes == "" || got.Version != 1 ||
		!got.Request.WantedFrom.Equal(d.Request.WantedFrom) || got.Request.Evidence.Incidents[0] != "CAD 1234/24NOV26" {
		t.Fatalf("read back %+v: %v", got, err)
	}

	// Approve, then schedule on cam005: the camera is busy for another.
	got.State, got.DecidedBy, got.DecidedAt, got.ReviewDate = DeploymentApproved, "sue", depT0.Add(time.Hour), depT0.Add(60*24*time.Hour)
	if err := s.UpdateDeployment(ctx, &DeploymentChange{Deployment: got, Event: DeploymentEvent{At: depT0.Add(time.Hour),
		From: DeploymentRequested, To: DeploymentApproved, Actor: "sue", Reason: "evidence is strong"}}); err != nil {
		t.Fatal(err)
	}
	stale := got
	stale.Decision = "late"
	if err := s.UpdateDeployment(ctx, &DeploymentChange{Deployment: stale, Event: DeploymentEvent{At: depT0.Add(2 * time.Hour),
		From: DeploymentRequested, To: DeploymentApproved, Actor: "tom"}}); !errors.Is(err, ErrStale) {
		t.Fatalf("a change made from a stale read: %v", err)
	}
	got, _ = s.Deployment(ctx, d.ID)
	got.State, got.Camera, got.InstallDate = DeploymentScheduled, "cam005", depT0.Add(7*24*time.Hour)
	if err := s.UpdateDeployment(ctx, &DeploymentChange{Deployment: got, Event: DeploymentEvent{At: depT0.Add(2 * time.Hour),
		From: DeploymentApproved, To: DeploymentScheduled, Actor: "sue"}}); err != nil {
		t.Fatal(err)
	}
	other := Deployment{Request: sampleRequest(), RequestedBy: "bea", RequestedAt: depT0}
	if err := s.AddDeployment(ctx, &other); err != nil {
		t.Fatal(err)
	}
	other.State, other.Camera = DeploymentScheduled, "cam005"
	if err := s.UpdateDeployment(ctx, &DeploymentChange{Deployment: other, Event: DeploymentEvent{At: depT0.Add(3 * time.Hour),
		From: DeploymentRequested, To: DeploymentScheduled, Actor: "sue"}}); !errors.Is(err, ErrCameraBusy) {
		t.Fatalf("cam005 given to two active deployments: %v", err)
	}

	// Live: the camera's place is recorded; removed: it ends.
	got, _ = s.Deployment(ctx, d.ID)
	live := depT0.Add(7 * 24 * time.Hour)
	got.State, got.LiveAt = DeploymentLive, live
	place := &CameraLocation{Camera: "cam005", From: live, Latitude: 51.539, Longitude: 0.081, Name: "Market Square (mobile)",
		Address: "Market Square", Site: "Town centre", Ward: "Abbey", DeploymentID: d.ID}
	if err := s.UpdateDeployment(ctx, &DeploymentChange{Deployment: got, Place: place, Event: DeploymentEvent{At: live,
		From: DeploymentScheduled, To: DeploymentLive, Actor: "eng"}}); err != nil {
		t.Fatal(err)
	}
	got, _ = s.Deployment(ctx, d.ID)
	gone := live.Add(30 * 24 * time.Hour)
	got.State, got.RemovedAt = DeploymentRemoved, gone
	if err := s.UpdateDeployment(ctx, &DeploymentChange{Deployment: got, Leave: gone, Event: DeploymentEvent{At: gone,
		From: DeploymentLive, To: DeploymentRemoved, Actor: "eng"}}); err != nil {
		t.Fatal(err)
	}
	locs, err := s.CameraLocations(ctx, "cam005", time.Time{}, time.Time{})
	if err != nil || len(locs) != 1 || !locs[0].From.Equal(live) || !locs[0].To.Equal(gone) || locs[0].DeploymentID != d.ID ||
		!locs[0].At(live.Add(time.Hour)) || locs[0].At(gone) {
		t.Fatalf("places %+v: %v", locs, err)
	}
	evs, err := s.DeploymentEvents(ctx, d.ID)
	if err != nil || len(evs) != 5 || evs[0].To != DeploymentRequested || evs[4].To != DeploymentRemoved {
		t.Fatalf("events %+v: %v", evs, err)
	}
	// Once removed, the camera is free again.
	other, _ = s.Deployment(ctx, other.ID)
	other.State, other.Camera = DeploymentScheduled, "cam005"
	if err := s.UpdateDeployment(ctx, &DeploymentChange{Deployment: other, Event: DeploymentEvent{At: gone,
		From: DeploymentRequested, To: DeploymentScheduled, Actor: "sue"}}); err != nil {
		t.Fatalf("cam005 after its deployment was removed: %v", err)
	}
	list, err := s.Deployments(ctx, DeploymentFilter{States: ActiveDeploymentStates})
	if err != nil || len(list) != 1 || list[0].ID != other.ID {
		t.Fatalf("active deployments %+v: %v", list, err)
	}
}

func TestCameraLocationsOverTime(t *testing.T) { bothBackends(t, testCameraLocationsOverTime) }

func testCameraLocationsOverTime(t *testing.T) {
	s, _ := openTemp(t)
	ctx := context.Background()
	for i, name := range []string{"Park", "Estate", "Station"} {
		l := CameraLocation{Camera: "cam009", From: depT0.Add(time.Duration(i) * 24 * time.Hour), Latitude: 51.5 + float64(i)/100,
			Longitude: 0.08, Name: name}
		if err := s.MoveCamera(ctx, &l); err != nil {
			t.Fatal(err)
		}
	}
	day2 := depT0.Add(36 * time.Hour)
	locs, err := s.CameraLocations(ctx, "cam009", day2, day2.Add(time.Hour))
	if err != nil || len(locs) != 1 || locs[0].Name != "Estate" {
		t.Fatalf("at day 2: %+v, %v", locs, err)
	}
	locs, _ = s.CameraLocations(ctx, "cam009", day2, time.Time{})
	if len(locs) != 2 || locs[1].Name != "Station" || !locs[1].To.IsZero() || !locs[0].To.Equal(depT0.Add(48*time.Hour)) {
		t.Fatalf("from day 2 on: %+v", locs)
	}
	bad := CameraLocation{Camera: "Not An Id", From: depT0}
	if err := s.MoveCamera(ctx, &bad); err == nil {
		t.Error("a bad camera id moved")
	}
}

func TestDeploymentRequestValidate(t *testing.T) {
	for _, tc := range []struct {
		name  string
		edit  func(*DeploymentRequest)
		field string
	}{
		{"no point", func(r *DeploymentRequest) { r.Latitude, r.Longitude = 0, 0 }, "latitude"},
		{"no address", func(r *DeploymentRequest) { r.Address = " " }, "address"},
		{"unknown problem", func(r *DeploymentRequest) { r.Problem = "parking" }, "problem"},
		{"no purpose", func(r *DeploymentRequest) { r.Purpose = "" }, "purpose"},
		{"no less intrusive means", func(r *DeploymentRequest) { r.LessIntrusive = "" }, "less_intrusive"},
		{"dwellings, no notes", func(r *DeploymentRequest) { r.Privacy.Notes = "" }, "privacy.notes"},
		{"no signage", func(r *DeploymentRequest) { r.SignageConfirmed = false }, "signage_confirmed"},
		{"period backwards", func(r *DeploymentRequest) { r.WantedTo = r.WantedFrom.Add(-time.Hour) }, "wanted_to"},
	} {
		r := sampleRequest()
		tc.edit(&r)
		var fe FieldErrors
		if err := r.Validate(); !errors.As(err, &fe) || fe[0].Field != tc.field {
			t.Errorf("%s: %v, want an error on %s", tc.name, err, tc.field)
		}
	}
	r := sampleRequest()
	if err := r.Validate(); err != nil {
		t.Errorf("a good request: %v", err)
	}
}
