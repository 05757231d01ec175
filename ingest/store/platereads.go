package store

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"regexp"
	"sort"
	"strings"
	"time"

	"github.com/vigil-cctv/vigil/ingest/analytics/anpr/ukplate"
)

// PlateRead is one vehicle passage read by a camera's number-plate reader.
type PlateRead struct {
	ID         int64
	Camera     string
	At         time.Time // the surest frame
	First      time.Time // first and last frames the plate was read in
	Last       time.Time
	Plate      string // normal form: AB12CDE
	Text       string // as on the plate: AB12 CDE
	Format     string // the UK layout (ukplate.Format.Name), "" when none
	Confidence float32
	CharConf   []float32 // per character of Plate
	Direction  string    // left-to-right, right-to-left, towards, away or ""
	Frames     int
	Box        [4]int // x, y, width, height in the picture it was read from
	// Crop (the plate) and Thumbnail (the vehicle) are JPEGs; lists leave
	// them out, and set them non-nil and empty where there is one.
	Crop, Thumbnail []byte
	// Distance is how far the plate is from a fuzzy search's (0 otherwise).
	Distance float64
}

// PlateReadRetention is how long reads are kept unless configured.
const PlateReadRetention = 90 * 24 * time.Hour

// Bounds of a read.
const (
	maxPlateLen   = 10
	MaxPlateImage = 256 << 10 // a crop or thumbnail JPEG
)

// platePattern is a plate in normal form; patterns add * and ?.
var (
	platePattern   = regexp.MustCompile(`^[A-Z0-9]{1,10}$`)
	patternPattern = regexp.MustCompile(`^[A-Z0-9*?]{1,10}$`)
)

var directions = map[string]bool{"": true, "left-to-right": true, "right-to-left": true, "towards": true, "away": true}

func (r *PlateRead) validate() error {
	var fe FieldErrors
	bad := func(field, format string, args ...any) {
		fe = append(fe, &FieldError{Field: field, Msg: fmt.Sprintf(format, args...)})
	}
	if !idPattern.MatchString(r.Camera) {
		bad("camera", "%q is not a camera id", r.Camera)
	}
	if r.At.IsZero() || r.First.IsZero() || r.Last.Before(r.First) {
		bad("at", "needs the read's time, and first <= last")
	}
	if !platePattern.MatchString(r.Plate) {
		bad("plate", "%q must be 1-%d letters and digits", r.Plate, maxPlateLen)
	}
	if len(r.CharConf) != len(r.Plate) {
		bad("char_conf", "%d confidences for %d characters", len(r.CharConf), len(r.Plate))
	}
	if r.Confidence < 0 || r.Confidence > 1 {
		bad("confidence", "%v is not in [0,1]", r.Confidence)
	}
	if !directions[r.Direction] {
		bad("direction", "%q is not a direction", r.Direction)
	}
	if len(r.Crop) > MaxPlateImage || len(r.Thumbnail) > MaxPlateImage {
		bad("crop", "pictures are at most %d bytes", MaxPlateImage)
	}
	if len(r.Text) > 2*maxPlateLen || len(r.Format) > 40 {
		bad("text", "too long")
	}
	if len(fe) > 0 {
		return fe
	}
	return nil
}

// AddPlateRead stores a read and sets its ID.
func (s *Store) AddPlateRead(ctx context.Context, r *PlateRead) error {
	if err := r.validate(); err != nil {
		return err
	}
	conf, _ := json.Marshal(r.CharConf)
	box, _ := json.Marshal(r.Box)
	err := s.db.QueryRowContext(ctx, `INSERT INTO plate_reads (camera, at_us, first_us, last_us, plate, text, format,
		confidence, char_conf, direction, frames, box, crop, thumbnail) VALUES ($1,$2,$3,$4,$5,$6,$7,$8,$9,$10,$11,$12,$13,$14) RETURNING id`,
		r.Camera, toMicros(r.At), toMicros(r.First), toMicros(r.Last), r.Plate, r.Text, r.Format, r.Confidence,
		string(conf), r.Direction, r.Frames, string(box), nullBlob(r.Crop), nullBlob(r.Thumbnail)).Scan(&r.ID)
	if err != nil {
		return fmt.Errorf("add plate read: %w", err)
	}
	return nil
}

const plateReadColumns = `id, camera, at_us, first_us, last_us, plate, text, format, confidence, char_conf, direction,
	frames, box, crop IS NOT NULL, thumbnail IS NOT NULL`

func scanPlateRead(row scanner) (PlateRead, error) {
	var r PlateRead
	var at, first, last int64
	var conf, box string
	var crop, thumb bool
	if err := row.Scan(&r.ID, &r.Camera, &at, &first, &last, &r.Plate, &r.Text, &r.Format, &r.Confidence, &conf,
		&r.Direction, &r.Frames, &box, &crop, &thumb); err != nil {
		return PlateRead{}, err
	}
	r.At, r.First, r.Last = fromMicros(at), fromMicros(first), fromMicros(last)
	if err := json.Unmarshal([]byte(conf), &r.CharConf); err != nil {
		return PlateRead{}, fmt.Errorf("plate read %d: char_conf: %w", r.ID, err)
	}
	if err := json.Unmarshal([]byte(box), &r.Box); err != nil {
		return PlateRead{}, fmt.Errorf("plate read %d: box: %w", r.ID, err)
	}
	if crop {
		r.Crop = []byte{}
	}
	if thumb {
		r.Thumbnail = []byte{}
	}
	return r, nil
}

// PlateRead returns one read without its pictures, or ErrNotFound.
func (s *Store) PlateRead(ctx context.Context, id int64) (PlateRead, error) {
	r, err := scanPlateRead(s.db.QueryRowContext(ctx, `SELECT `+plateReadColumns+` FROM plate_reads WHERE id = $1`, id))
	if errors.Is(err, sql.ErrNoRows) {
		return PlateRead{}, fmt.Errorf("plate read %d: %w", id, ErrNotFound)
	}
	return r, err
}

// PlateReadImage returns a read's camera and its crop ("crop") or vehicle
// thumbnail ("thumbnail") JPEG; ErrNotFound when there is none.
func (s *Store) PlateReadImage(ctx context.Context, id int64, which string) (camera string, jpeg []byte, err error) {
	col := map[string]string{"crop": "crop", "thumbnail": "thumbnail"}[which]
	if col == "" {
		return "", nil, fmt.Errorf("plate read picture %q: %w", which, ErrNotFound)
	}
	err = s.db.QueryRowContext(ctx, `SELECT camera, `+col+` FROM plate_reads WHERE id = $1 AND `+col+` IS NOT NULL`, id).
		Scan(&camera, &jpeg)
	if errors.Is(err, sql.ErrNoRows) {
		return "", nil, fmt.Errorf("plate read %d %s: %w", id, which, ErrNotFound)
	}
	if err != nil {
		return "", nil, fmt.Errorf("plate read %d %s: %w", id, which, err)
	}
	return camera, jpeg, nil
}

// Plate search modes.
const (
	PlateExact    = "exact"    // the plate, in any spacing and case
	PlateWildcard = "wildcard" // * any run, ? one character: AB12*, *CDE
	PlateFuzzy    = "fuzzy"    // within a confusion-aware edit distance
)

// PlateQuery selects reads; zero fields do not filter. Reads come newest
// first.
type PlateQuery struct {
	Plate string // "" lists every read
	Mode  string // PlateExact (default), PlateWildcard or PlateFuzzy
	// MaxDistance bounds a fuzzy search (default 1: one wrong character,
	// or two confusable ones such as 0/O and 8/B).
	MaxDistance float64
	Cameras     []string // nil every camera, empty none
	From, To    time.Time
	Limit       int // at most 1000; 0 is 100
}

// Validate checks a query's plate against its mode.
func (q PlateQuery) Validate() error {
	p := ukplate.Normalize(q.Plate)
	switch q.Mode {
	case "", PlateExact, PlateFuzzy:
		if q.Plate != "" && !platePattern.MatchString(p) {
			return FieldErrors{{Field: "plate", Msg: fmt.Sprintf("%q: 1-%d letters and digits", q.Plate, maxPlateLen)}}
		}
	case PlateWildcard:
		if !patternPattern.MatchString(p) {
			return FieldErrors{{Field: "plate", Msg: fmt.Sprintf("%q: letters, digits, * and ? (1-%d)", q.Plate, maxPlateLen)}}
		}
	default:
		return FieldErrors{{Field: "mode", Msg: fmt.Sprintf("%q must be exact, wildcard or fuzzy", q.Mode)}}
	}
	if q.MaxDistance < 0 || q.MaxDistance > 3 {
		return FieldErrors{{Field: "distance", Msg: "must be 0-3"}}
	}
	if !q.From.IsZero() && !q.To.IsZero() && q.To.Before(q.From) {
		return FieldErrors{{Field: "to", Msg: "is before from"}}
	}
	return nil
}

// PlateReads searches reads, newest first, without their pictures. A
// fuzzy search compares each distinct plate seen in the range, not each
// read, and orders the nearest first.
func (s *Store) PlateReads(ctx context.Context, q PlateQuery) ([]PlateRead, error) {
	if err := q.Validate(); err != nil {
		return nil, err
	}
	if q.Cameras != nil && len(q.Cameras) == 0 {
		return nil, nil
	}
	plate := ukplate.Normalize(q.Plate)
	where, args := []string{"1=1"}, []any{}
	arg := func(v any) string { args = append(args, v); return fmt.Sprintf("$%d", len(args)) }
	if q.Cameras != nil {
		in := make([]string, len(q.Cameras))
		for i, c := range q.Cameras {
			in[i] = arg(c)
		}
		where = append(where, "camera IN ("+strings.Join(in, ",")+")")
	}
	if !q.From.IsZero() {
		where = append(where, "at_us >= "+arg(toMicros(q.From)))
	}
	if !q.To.IsZero() {
		where = append(where, "at_us < "+arg(toMicros(q.To)))
	}
	var near map[string]float64
	switch {
	case plate == "":
	case q.Mode == PlateWildcard:
		// Plates are letters and digits only, so LIKE's own % and _ cannot
		// appear in them; GLOB would be case-sensitive the same way, but
		// LIKE is what PostgreSQL shares.
		where = append(where, "plate LIKE "+arg(strings.NewReplacer("*", "%", "?", "_").Replace(plate)))
	case q.Mode == PlateFuzzy:
		var err error
		if near, err = s.nearPlates(ctx, plate, q.MaxDistance, where, args); err != nil {
			return nil, err
		}
		if len(near) == 0 {
			return nil, nil
		}
		in := make([]string, 0, len(near))
		for p := range near {
			in = append(in, arg(p))
		}
		where = append(where, "plate IN ("+strings.Join(in, ",")+")")
	default:
		where = append(where, "plate = "+arg(plate))
	}
	limit := pageLimit(q.Limit, 100, 1000)
	rows, err := s.db.QueryContext(ctx, `SELECT `+plateReadColumns+` FROM plate_reads WHERE `+strings.Join(where, " AND ")+
		` ORDER BY at_us DESC, id DESC LIMIT `+arg(limit), args...)
	if err != nil {
		return nil, fmt.Errorf("plate reads: %w", err)
	}
	reads, err := collect(rows, scanPlateRead)
	if err != nil || near == nil {
		return reads, err
	}
	for i := range reads {
		reads[i].Distance = near[reads[i].Plate]
	}
	sort.SliceStable(reads, func(i, j int) bool { return reads[i].Distance < reads[j].Distance })
	return reads, nil
}

// maxFuzzyPlates bounds the distinct plates one fuzzy search compares.
const maxFuzzyPlates = 2_000_000

// nearPlates is the distinct plates of the reads the filter selects that
// are within max of plate.
func (s *Store) nearPlates(ctx context.Context, plate string, max float64, where []string, args []any) (map[string]float64, error) {
	if max == 0 {
		max = 1
	}
	rows, err := s.db.QueryContext(ctx, `SELECT DISTINCT plate FROM plate_reads WHERE `+strings.Join(where, " AND ")+
		fmt.Sprintf(" LIMIT %d", maxFuzzyPlates), args...)
	if err != nil {
		return nil, fmt.Errorf("plate reads: %w", err)
	}
	defer rows.Close()
	near := map[string]float64{}
	for rows.Next() {
		var p string
		if err := rows.Scan(&p); err != nil {
			return nil, err
		}
		if d := len(p) - len(plate); d > int(max) || -d > int(max) {
			continue // too many insertions or deletions to be near
		}
		if d := ukplate.Distance(plate, p); d <= max+1e-9 {
			near[p] = d
		}
	}
	return near, rows.Err()
}

// PrunedReads is what PrunePlateReads removed.
type PrunedReads struct {
	Count          int64
	Oldest, Newest time.Time // of the reads removed
}

// PrunePlateReads deletes the reads made before a time (retention).
func (s *Store) PrunePlateReads(ctx context.Context, before time.Time) (PrunedReads, error) {
	var p PrunedReads
	tx, err := s.db.BeginTx(ctx, nil)
	if err != nil {
		return p, err
	}
	defer tx.Rollback()
	var oldest, newest sql.NullInt64
	if err := tx.QueryRowContext(ctx, `SELECT count(*), min(at_us), max(at_us) FROM plate_reads WHERE at_us < $1`,
		toMicros(before)).Scan(&p.Count, &oldest, &newest); err != nil {
		return p, fmt.Errorf("prune plate reads: %w", err)
	}
	if p.Count == 0 {
		return p, nil
	}
	if _, err := tx.ExecContext(ctx, `DELETE FROM plate_reads WHERE at_us < $1`, toMicros(before)); err != nil {
		return PrunedReads{}, fmt.Errorf("prune plate reads: %w", err)
	}
	p.Oldest, p.Newest = fromMicros(oldest.Int64), fromMicros(newest.Int64)
	return p, tx.Commit()
}
