package store

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/vigil-cctv/vigil/ingest"
)

// seedEveryTable puts rows in every table through the store's own
// methods: what a site that has run for a while holds.
func seedEveryTable(t *testing.T, s *Store) {
	t.Helper()
	ctx := context.Background()
	now := time.Date(2026, 11, 30, 21, 15, 0, 0, time.UTC)
	must := func(err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}
	for _, id := range []string{"cam001", "cam002"} {
		c := Camera{ID: id, Name: "Market " + id, Latitude: f(51.54), Longitude: f(0.08), MainURL: "rtsp://10.0.0.1/" + id,
			Username: "viewer", Password: "s3cret", Enabled: true, ManagedBy: ManagedByAPI}
		c.Normalize()
		must(s.CreateCamera(ctx, &c))
	}
	end := now.Add(-time.Hour)
	must(s.OpenOutage(ctx, &ingest.Outage{Camera: "cam001", Stream: "main", Start: now.Add(-2 * time.Hour), Reason: "timeout"}))
	var segs []Segment
	for i := range 3 {
		seg := Segment{Camera: "cam001", Start: end.Add(time.Duration(i) * time.Minute), End: end.Add(time.Duration(i+1) * time.Minute),
			Path: fmt.Sprintf("cam001/%d.mp4", i), Bytes: 1 << 20, SHA256: [32]byte{byte(i), 0xff}, StreamID: uuid.New(),
			Sequence: uint64(i), Frames: 1500, Repaired: i == 2}
		must(s.AddSegment(ctx, &seg))
		segs = append(segs, seg)
	}
	must(s.SetSealedSeq(ctx, segs[0].ID, 41))
	must(s.SetSegmentObject(ctx, segs[0].ID, "vigil/cam001/0.mp4")) // then deleted: its object is queued
	must(s.SetSegmentObject(ctx, segs[1].ID, "vigil/cam001/1.mp4"))
	must(s.AddClockOffset(ctx, ClockOffset{Camera: "cam001", At: end, Offset: 12500 * time.Microsecond, Source: "rtcp-sr"}))
	must(s.AddGap(ctx, &Gap{Camera: "cam001", Start: end.Add(-time.Minute), End: end, Reason: "failover"}))
	must(s.DeleteSegment(ctx, segs[0], "retention", now))
	must(s.AddHold(ctx, &Hold{Camera: "cam001", Start: end, End: end.Add(time.Minute), Reason: "assault", CreatedBy: "sup1",
		CreatedAt: now, RequestedBy: "pc.smith", ReviewAt: now.Add(30 * 24 * time.Hour)}))
	_, err := s.Pseudonym(ctx, "PC 123 Smith")
	must(err)
	u := User{Username: "op.smith", Roles: "operator", PasswordHash: "$argon2id$v=19$m=65536,t=1,p=2$c2FsdA$aGFzaA", CreatedBy: "admin", Created: now}
	must(s.CreateUser(ctx, &u))
	must(s.SetTOTP(ctx, u.ID, []byte("totp-secret-bytes"), nil))
	must(s.CreateSession(ctx, Session{IDHash: tokenHash("session"), UserID: u.ID, CSRF: "csrf", Created: now, Seen: now, Expires: now.Add(time.Hour)}))
	must(s.CreateToken(ctx, &APIToken{Name: "prometheus", Hash: tokenHash("token"), Scopes: "metrics.read", Expires: now.Add(time.Hour), Created: now, CreatedBy: "admin"}))
	approvedRequest(t, s, "req1", now)
	addLink(t, s, "link", DownloadLink{RequestID: "req1", CreatedBy: "sgt.khan", CreatedAt: now, ExpiresAt: now.Add(time.Hour), OneTime: true})
	must(s.AddBookmark(ctx, &Bookmark{At: end, Cameras: []string{"cam001", "cam002"}, Note: "Moped without plates", CreatedBy: "op.smith", Created: now}))
	must(s.SaveWall(ctx, &Wall{UserID: u.ID, Name: "Night", Layout: "2x2", Tiles: []string{"cam001", "cam002"}, Updated: now}))
	a := defaultAnalytics("cam001")
	a.Updated, a.UpdatedBy = now, "sup1"
	must(s.PutCameraAnalytics(ctx, a))
	ev := Event{Camera: "cam001", Kind: "motion", Zone: "Road", Start: end, Peak: 0.25, Objects: 2, Thumbnail: []byte{0xff, 0xd8, 0xff}}
	must(s.AddEvent(ctx, &ev))
	must(s.AddActivity(ctx, []Activity{{Camera: "cam001", Zone: "Road", Bucket: end, Frames: 4500, MotionFrames: 120, Objects: 3}}))
	must(s.CreateAlertRule(ctx, &AlertRule{Name: "Late night park", Camera: "cam001", Zone: "Road", Factor: 3, MinShare: 0.05,
		HourFrom: 22, HourTo: 6, Severity: "warning", Enabled: true, CreatedBy: "sup1", Created: now}))
	read := PlateRead{Camera: "cam002", At: end, First: end, Last: end.Add(2 * time.Second), Plate: "LK19RXT", Text: "LK19 RXT",
		Format: "current", Confidence: 0.97, CharConf: []float32{0.99, 0.98, 0.97, 0.99, 0.96, 0.98, 0.97}, Direction: "towards", Frames: 9,
		Crop: []byte{0xff, 0xd8, 1, 2}}
	must(s.AddPlateRead(ctx, &read))
	must(s.AddWatch(ctx, &Watch{Plate: "YD68HMV", Category: "nuisance", Reason: "Car meets at the retail park", AddedBy: "sup1",
		Added: now, Expires: now.Add(30 * 24 * time.Hour)}))
	must(s.AddAlert(ctx, &Alert{At: end, Camera: "cam002", Kind: "anpr", Rule: "watchlist", Severity: "warning",
		Message: "YD68 HMV seen", Plate: "YD68HMV", ReadID: read.ID, EventID: ev.ID}))
	d := Deployment{Request: sampleRequest(), RequestedBy: "bea", RequestedAt: depT0}
	must(s.AddDeployment(ctx, &d))
	must(s.MoveCamera(ctx, &CameraLocation{Camera: "cam002", From: depT0, Latitude: 51.53, Longitude: 0.07, Name: "Park", DeploymentID: d.ID}))
	must(s.Heartbeat(ctx, NodeRecord{ID: "vigil-0", URL: "https://vigil-0.vigil-nodes:8080", Capacity: 150, Started: now, Seen: now}))
	_, err = s.GrantLease(ctx, Lease{Camera: "cam001", Node: "vigil-0", Acquired: now, Expires: now.Add(6 * time.Second), Reason: "new"}, 0)
	must(err)
	_, err = s.ClusterSecret(ctx)
	must(err)
	must(s.ReportStatuses(ctx, "vigil-0", now, []ingest.CameraStatus{{ID: "cam001", Enabled: true,
		Streams: []ingest.StreamStatus{{Stream: "main", State: ingest.StateOnline, FPS: 25}}}}))
}

// tableRows is every row of a table as text, in id (or first column) order.
func tableRows(t *testing.T, s *Store, table string) []string {
	t.Helper()
	rows, err := s.db.Query(`SELECT * FROM ` + table + ` ORDER BY 1, 2`)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	cols, _ := rows.Columns()
	var out []string
	for rows.Next() {
		vals, err := scanRow(rows, len(cols))
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, fmt.Sprintf("%v", vals))
	}
	return out
}

// A single-node site moves to PostgreSQL and back: every row arrives as
// it was, ids included, and new rows get new ids.
func TestCopyMovesEveryRowBothWays(t *testing.T) {
	ctx := context.Background()
	lite, _ := openTemp(t)
	seedEveryTable(t, lite)
	pg, err := Open(newPostgresDB(t))
	if err != nil {
		t.Fatal(err)
	}
	defer pg.Close()
	var told []string
	counts, err := Copy(ctx, pg, lite, func(table string, n int64) { told = append(told, table) })
	if err != nil {
		t.Fatal(err)
	}
	if len(told) != len(Tables) {
		t.Fatalf("progress told of %v", told)
	}
	for _, table := range Tables {
		a, b := tableRows(t, lite, table), tableRows(t, pg, table)
		if len(a) == 0 {
			t.Errorf("the seed left %s empty: seed it", table)
		}
		if counts[table] != int64(len(a)) || strings.Join(a, "\n") != strings.Join(b, "\n") {
			t.Errorf("%s: copied %d\nsqlite:\n%s\npostgres:\n%s", table, counts[table], strings.Join(a, "\n"), strings.Join(b, "\n"))
		}
	}
	// New rows on PostgreSQL do not collide with the copied ids.
	g := Gap{Camera: "cam002", Start: depT0, End: depT0.Add(time.Minute), Reason: "failover"}
	if err := pg.AddGap(ctx, &g); err != nil || g.ID != 2 {
		t.Fatalf("a gap added after the copy: id %d, %v; want 2", g.ID, err)
	}
	if _, err := Copy(ctx, pg, lite, nil); err == nil || !strings.Contains(err.Error(), "empty") {
		t.Fatalf("a copy into a store with rows: %v", err)
	}
	back, _ := openTemp(t)
	if _, err := Copy(ctx, back, pg, nil); err != nil {
		t.Fatal(err)
	}
	for _, table := range Tables {
		if a, b := tableRows(t, pg, table), tableRows(t, back, table); strings.Join(a, "\n") != strings.Join(b, "\n") {
			t.Errorf("%s back in SQLite:\n%s\nwant\n%s", table, strings.Join(b, "\n"), strings.Join(a, "\n"))
		}
	}
}
