package store

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/vigil-cctv/vigil/ingest"
)

// openTemp opens a new, empty store on the backend the test runs on (see
// bothBackends), and gives what Open takes to open it again.
func openTemp(t *testing.T) (*Store, string) {
	t.Helper()
	path := filepath.Join(t.TempDir(), "vigil.db")
	if onPostgres(t) {
		path = newPostgresDB(t)
	}
	s, err := Open(path)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return s, path
}

func f(v float64) *float64 { return &v }

func TestCameraCRUD(t *testing.T) { bothBackends(t, testCameraCRUD) }

func testCameraCRUD(t *testing.T) {
	s, path := openTemp(t)
	ctx := context.Background()
	c := Camera{ID: "cam001", Name: "High St / Market Sq", Site: "Town centre", Ward: "Abbey",
		Latitude: f(51.5386), Longitude: f(0.0795), Kind: KindFixed,
		MainURL: "rtsp://admin:s3cret@10.1.2.3:554/main", SubURL: "rtsp://10.1.2.3:554/sub",
		Enabled: true, ManagedBy: ManagedByAPI}
	c.Normalize()
	if err := c.Validate(); err != nil {
		t.Fatal(err)
	}
	if c.Username != "admin" || c.Password != "s3cret" || strings.Contains(c.MainURL, "s3cret") {
		t.Fatalf("credentials not moved out of the URL: user=%q url=%q", c.Username, c.MainURL)
	}
	if c.RetentionDays != DefaultRetentionDays {
		t.Fatalf("retention default = %d", c.RetentionDays)
	}
	if err := s.CreateCamera(ctx, &c); err != nil {
		t.Fatal(err)
	}
	if err := s.CreateCamera(ctx, &c); !errors.Is(err, ErrExists) {
		t.Fatalf("duplicate create: %v, want ErrExists", err)
	}
	got, err := s.GetCamera(ctx, "cam001")
	if err != nil {
		t.Fatal(err)
	}
	if got.Name != c.Name || *got.Latitude != 51.5386 || got.Password != "s3cret" || !got.Enabled {
		t.Fatalf("round trip: %+v", got)
	}
	got.Enabled = false
	got.Name = "renamed"
	if err := s.UpdateCamera(ctx, &got); err != nil {
		t.Fatal(err)
	}
	again, _ := s.GetCamera(ctx, "cam001")
	if again.Enabled || again.Name != "renamed" || !again.CreatedAt.Equal(got.CreatedAt) {
		t.Fatalf("update lost: %+v", again)
	}
	if err := s.UpdateCamera(ctx, &Camera{ID: "nope"}); !errors.Is(err, ErrNotFound) {
		t.Fatalf("update missing: %v", err)
	}
	list, _ := s.ListCameras(ctx)
	if len(list) != 1 {
		t.Fatalf("list = %d cameras", len(list))
	}
	if err := s.DeleteCamera(ctx, "cam001"); err != nil {
		t.Fatal(err)
	}
	if err := s.DeleteCamera(ctx, "cam001"); !errors.Is(err, ErrNotFound) {
		t.Fatalf("second delete: %v", err)
	}
	if fi, err := os.Stat(path); !onPostgres(t) && (err != nil || fi.Mode().Perm() != 0o600) {
		t.Fatalf("database file mode %v: it holds credentials, want 0600", fi.Mode().Perm())
	}
}

func TestCameraValidateNamesFields(t *testing.T) {
	c := Camera{ID: "Bad ID!", Kind: "dome", MainURL: "http://x", SubURL: "rtsp://", RetentionDays: -1,
		Latitude: f(95), Longitude: f(0), Password: "p"}
	err := c.Validate()
	var fe FieldErrors
	if !errors.As(err, &fe) {
		t.Fatalf("want FieldErrors, got %v", err)
	}
	for _, field := range []string{"id", "kind", "main_url", "sub_url", "retention_days", "latitude", "username"} {
		if !strings.Contains(err.Error(), field+":") {
			t.Errorf("error does not name %s: %v", field, err)
		}
	}
	if p := fe.Prefix("cameras[3]"); !strings.HasPrefix(p.Error(), "cameras[3].id:") {
		t.Errorf("prefix: %v", p)
	}
}

func TestOutages(t *testing.T) { bothBackends(t, testOutages) }

func testOutages(t *testing.T) {
	s, path := openTemp(t)
	ctx := context.Background()
	t0 := time.Date(2026, 3, 29, 0, 30, 0, 0, time.UTC)
	o := &ingest.Outage{Camera: "cam001", Stream: "main", Start: t0, Reason: "connection refused"}
	if err := s.OpenOutage(ctx, o); err != nil {
		t.Fatal(err)
	}
	end := t0.Add(90 * time.Second)
	o.End = &end
	if err := s.CloseOutage(ctx, o); err != nil {
		t.Fatal(err)
	}
	open := &ingest.Outage{Camera: "cam001", Stream: "sub", Start: t0.Add(time.Hour), Reason: "timeout"}
	if err := s.OpenOutage(ctx, open); err != nil {
		t.Fatal(err)
	}

	all, err := s.ListOutages(ctx, "cam001", time.Time{}, time.Time{})
	if err != nil || len(all) != 2 {
		t.Fatalf("list all: %v %v", all, err)
	}
	if all[0].End.Sub(all[0].Start) != 90*time.Second || all[1].End != nil {
		t.Fatalf("outage spans wrong: %+v", all)
	}
	in, _ := s.ListOutages(ctx, "cam001", t0.Add(time.Minute), t0.Add(2*time.Minute))
	if len(in) != 1 || in[0].ID != o.ID {
		t.Fatalf("overlap query: %+v", in)
	}
	none, _ := s.ListOutages(ctx, "cam001", t0.Add(2*time.Minute), t0.Add(30*time.Minute))
	if len(none) != 0 {
		t.Fatalf("non-overlapping range returned %+v", none)
	}

	// A restart closes what the previous run left open, and says so.
	s.Close()
	s2, err := Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer s2.Close()
	n, err := s2.CloseDanglingOutages(ctx, t0.Add(2*time.Hour))
	if err != nil || n != 1 {
		t.Fatalf("dangling closed %d, %v", n, err)
	}
	all, _ = s2.ListOutages(ctx, "cam001", time.Time{}, time.Time{})
	if all[1].End == nil || !strings.Contains(all[1].Reason, "monitoring stopped") {
		t.Fatalf("dangling outage: %+v", all[1])
	}
}

func TestOpenRejectsNewerSchemaAndGarbage(t *testing.T) {
	dir := t.TempDir()
	bad := filepath.Join(dir, "garbage.db")
	os.WriteFile(bad, []byte("this is not a database, just text long enough to be a header......"), 0o600)
	if _, err := Open(bad); err == nil || !strings.Contains(err.Error(), "garbage.db") {
		t.Fatalf("opening a corrupt file: %v; want an error naming the file", err)
	}
	path := filepath.Join(dir, "v.db")
	s, err := Open(path)
	if err != nil {
		t.Fatal(err)
	}
	s.db.Exec("PRAGMA user_version = 99")
	s.Close()
	if _, err := Open(path); err == nil || !strings.Contains(err.Error(), "newer") {
		t.Fatalf("newer schema: %v", err)
	}
}
