package store

import (
	"bytes"
	"context"
	"errors"
	"testing"
	"time"
)

var readT0 = time.Date(2026, 11, 20, 23, 15, 0, 0, time.UTC)

func addRead(t *testing.T, s *Store, camera, plate string, at time.Duration) PlateRead {
	t.Helper()
	r := PlateRead{Camera: camera, At: readT0.Add(at), First: readT0.Add(at - time.Second), Last: readT0.Add(at + time.Second),
		Plate: plate, Text: plate, Format: "current", Confidence: 0.93, CharConf: make([]float32, len(plate)),
		Direction: "left-to-right", Frames: 9, Box: [4]int{100, 200, 80, 18}}
	for i := range r.CharConf {
		r.CharConf[i] = 0.9
	}
	if err := s.AddPlateRead(context.Background(), &r); err != nil {
		t.Fatal(err)
	}
	return r
}

func TestPlateReadValidates(t *testing.T) { bothBackends(t, testPlateReadValidates) }

func testPlateReadValidates(t *testing.T) {
	s, _ := openTemp(t)
	for _, tc := range []struct {
		name  string
		edit  func(*PlateRead)
		field string
	}{
		{"valid", func(*PlateRead) {}, ""},
		{"bad camera", func(r *PlateRead) { r.Camera = "Cam 1" }, "camera"},
		{"no time", func(r *PlateRead) { r.At = time.Time{} }, "at"},
		{"last before first", func(r *PlateRead) { r.Last = r.First.Add(-time.Second) }, "at"},
		{"spaced plate", func(r *PlateRead) { r.Plate = "AB12 CDE" }, "plate"},
		{"lower case", func(r *PlateRead) { r.Plate = "ab12cde" }, "plate"},
		{"confidences", func(r *PlateRead) { r.CharConf = r.CharConf[:3] }, "char_conf"},
		{"confidence", func(r *PlateRead) { r.Confidence = 1.5 }, "confidence"},
		{"direction", func(r *PlateRead) { r.Direction = "north" }, "direction"},
		{"huge crop", func(r *PlateRead) { r.Crop = make([]byte, MaxPlateImage+1) }, "crop"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := PlateRead{Camera: "cam001", At: readT0, First: readT0, Last: readT0, Plate: "AB12CDE", Text: "AB12 CDE",
				Confidence: 0.9, CharConf: make([]float32, 7)}
			tc.edit(&r)
			err := s.AddPlateRead(context.Background(), &r)
			var fe FieldErrors
			switch {
			case tc.field == "" && (err != nil || r.ID == 0):
				t.Fatalf("err %v id %d", err, r.ID)
			case tc.field != "" && (!errors.As(err, &fe) || fe[0].Field != tc.field):
				t.Fatalf("got %v, want a field error on %s", err, tc.field)
			}
		})
	}
}

func TestPlateReadRoundTrip(t *testing.T) { bothBackends(t, testPlateReadRoundTrip) }

func testPlateReadRoundTrip(t *testing.T) {
	s, _ := openTemp(t)
	ctx := context.Background()
	r := addRead(t, s, "cam003", "AB12CDE", 0)
	crop, thumb := []byte{0xff, 0xd8, 1, 0xff, 0xd9}, []byte{0xff, 0xd8, 2, 0xff, 0xd9}
	r2 := PlateRead{Camera: "cam003", At: readT0, First: readT0, Last: readT0, Plate: "YK19RXT", Text: "YK19 RXT",
		Confidence: 0.8, CharConf: []float32{1, 1, 1, 1, 1, 1, 0.5}, Crop: crop, Thumbnail: thumb}
	if err := s.AddPlateRead(ctx, &r2); err != nil {
		t.Fatal(err)
	}
	got, err := s.PlateRead(ctx, r.ID)
	if err != nil || got.Plate != "AB12CDE" || !got.At.Equal(r.At) || got.Box != r.Box || len(got.CharConf) != 7 ||
		got.Direction != "left-to-right" || got.Frames != 9 || got.Crop != nil {
		t.Fatalf("got %+v, %v", got, err)
	}
	if got, _ := s.PlateRead(ctx, r2.ID); got.Crop == nil || got.Thumbnail == nil || len(got.Crop) != 0 {
		t.Errorf("pictures not flagged: %+v", got)
	}
	if cam, b, err := s.PlateReadImage(ctx, r2.ID, "crop"); err != nil || cam != "cam003" || !bytes.Equal(b, crop) {
		t.Errorf("crop %q %v %v", cam, b, err)
	}
	if _, b, _ := s.PlateReadImage(ctx, r2.ID, "thumbnail"); !bytes.Equal(b, thumb) {
		t.Errorf("thumbnail %v", b)
	}
	for _, which := range []string{"crop", "other"} {
		if _, _, err := s.PlateReadImage(ctx, r.ID, which); !errors.Is(err, ErrNotFound) {
			t.Errorf("%s of a read without pictures: %v", which, err)
		}
	}
	if _, err := s.PlateRead(ctx, 999); !errors.Is(err, ErrNotFound) {
		t.Errorf("missing read: %v", err)
	}
}

func plates(rs []PlateRead) []string {
	out := make([]string, len(rs))
	for i, r := range rs {
		out[i] = r.Plate
	}
	return out
}

func TestPlateSearch(t *testing.T) { bothBackends(t, testPlateSearch) }

func testPlateSearch(t *testing.T) {
	s, _ := openTemp(t)
	ctx := context.Background()
	addRead(t, s, "cam001", "AB12CDE", 0)
	addRead(t, s, "cam002", "AB12CDE", time.Minute)
	addRead(t, s, "cam001", "AB12CDF", 2*time.Minute)
	addRead(t, s, "cam001", "XY61CDE", 3*time.Minute)
	addRead(t, s, "cam002", "AB13XYZ", 4*time.Minute)
	addRead(t, s, "cam002", "A812CDE", 5*time.Minute) // a misread of AB12CDE
	for _, tc := range []struct {
		name string
		q    PlateQuery
		want []string
	}{
		{"exact, any spacing", PlateQuery{Plate: "ab12 cde"}, []string{"AB12CDE", "AB12CDE"}},
		{"exact on a camera", PlateQuery{Plate: "AB12CDE", Cameras: []string{"cam002"}}, []string{"AB12CDE"}},
		{"no cameras", PlateQuery{Plate: "AB12CDE", Cameras: []string{}}, nil},
		{"prefix", PlateQuery{Plate: "AB12*", Mode: PlateWildcard}, []string{"AB12CDF", "AB12CDE", "AB12CDE"}},
		{"suffix", PlateQuery{Plate: "*CDE", Mode: PlateWildcard}, []string{"A812CDE", "XY61CDE", "AB12CDE", "AB12CDE"}},
		{"one character", PlateQuery{Plate: "AB1?XYZ", Mode: PlateWildcard}, []string{"AB13XYZ"}},
		{"time range", PlateQuery{Plate: "AB1*", Mode: PlateWildcard, From: readT0.Add(30 * time.Second), To: readT0.Add(4 * time.Minute)},
			[]string{"AB12CDF", "AB12CDE"}},
		// Fuzzy: nearest first; A812CDE (8/B, 0.2) is nearer than AB12CDF (E/F, 0.5).
		{"fuzzy", PlateQuery{Plate: "AB12CDE", Mode: PlateFuzzy}, []string{"AB12CDE", "AB12CDE", "A812CDE", "AB12CDF"}},
		{"fuzzy, confusions only", PlateQuery{Plate: "AB12CDE", Mode: PlateFuzzy, MaxDistance: 0.3}, []string{"AB12CDE", "AB12CDE", "A812CDE"}},
		{"every read", PlateQuery{Limit: 2}, []string{"A812CDE", "AB13XYZ"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, err := s.PlateReads(ctx, tc.q)
			if err != nil {
				t.Fatal(err)
			}
			if g := plates(got); len(g) != len(tc.want) || (len(g) > 0 && string(joinPlates(g)) != string(joinPlates(tc.want))) {
				t.Fatalf("got %v, want %v", g, tc.want)
			}
		})
	}
	for _, q := range []PlateQuery{
		{Plate: "AB12*"}, // a pattern needs wildcard mode
		{Plate: "AB%", Mode: PlateWildcard},
		{Plate: "AB12CDE", Mode: "sounds-like"},
		{Plate: "AB12CDE", Mode: PlateFuzzy, MaxDistance: 9},
		{Plate: "AB12CDEFGHIJK"},
		{From: readT0, To: readT0.Add(-time.Hour)},
	} {
		var fe FieldErrors
		if _, err := s.PlateReads(ctx, q); !errors.As(err, &fe) {
			t.Errorf("query %+v: %v, want a field error", q, err)
		}
	}
}

func joinPlates(ps []string) []byte {
	var b []byte
	for _, p := range ps {
		b = append(append(b, p...), ',')
	}
	return b
}

func TestPrunePlateReads(t *testing.T) { bothBackends(t, testPrunePlateReads) }

func testPrunePlateReads(t *testing.T) {
	s, _ := openTemp(t)
	ctx := context.Background()
	for i := range 5 {
		addRead(t, s, "cam001", "AB12CDE", time.Duration(i)*time.Hour)
	}
	p, err := s.PrunePlateReads(ctx, readT0.Add(150*time.Minute))
	if err != nil || p.Count != 3 || !p.Oldest.Equal(readT0) || !p.Newest.Equal(readT0.Add(2*time.Hour)) {
		t.Fatalf("pruned %+v, %v", p, err)
	}
	if left, _ := s.PlateReads(ctx, PlateQuery{}); len(left) != 2 {
		t.Fatalf("%d reads left", len(left))
	}
	if p, err := s.PrunePlateReads(ctx, readT0); err != nil || p.Count != 0 {
		t.Fatalf("second prune %+v, %v", p, err)
	}
}
