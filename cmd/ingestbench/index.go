package main

import (
	"context"
	"crypto/sha256"
	"database/sql"
	"encoding/hex"
	"fmt"
	"github.com/vigil-cctv/vigil/cmd/internal/benchdisk"
	"io"
	"math/rand/v2"
	"os"
	"path/filepath"
	"slices"
	"time"

	"github.com/google/uuid"

	"github.com/vigil-cctv/vigil/cmd/camsim/sim"
	"github.com/vigil-cctv/vigil/ingest/store"
)

// The index phase runs in the harness's own process, after the camera
// phases (camsim is stopped by then): it fills a recording index the size
// of a full retention period and times the lookup a playback request makes
// first, store.Segments, against single-row lookups on the same database.
//
// Rows are inserted the way the recorder would have added them over the
// period (time order, every camera interleaved), but in large transactions
// with one prepared statement: store has no batch insert, and AddSegment's
// one transaction per row would take hours for 2.7 million rows. That
// statement runs on a second *sql.DB opened on the same file with the same
// DSN (plus bulk-load pragmas: no fsync, a bigger page cache) after
// store.Open has created and migrated it, and closed before the queries;
// its INSERT is AddSegment's, column for column.

const (
	indexSegment  = 5 * time.Minute  // recorder.DefaultSegmentDuration
	indexWindow   = 10 * time.Minute // the playback request's range
	indexTxRows   = 50_000
	targetIndexMS = 50.0 // p95 of the index lookup, time to first byte budget
)

// indexOptions configure the index phase.
type indexOptions struct {
	days, cameras, queries int
	dir                    string
}

// indexResult is what the index phase measured.
type indexResult struct {
	opts                   indexOptions
	rows                   int
	insert                 time.Duration
	dbBytes, walBytes      int64
	segments, byPath, byID []time.Duration
	age                    []float64 // of each Segments window: 0 oldest .. 1 newest in the period
	found                  int       // segments returned over all queries
	empty                  int       // queries that returned nothing (must be 0)
}

// storeDSN is store.Open's DSN (ingest/store/store.go).
func storeDSN(path string) string {
	return "file:" + path + "?_pragma=busy_timeout(5000)&_pragma=journal_mode(WAL)" +
		"&_pragma=foreign_keys(1)&_pragma=synchronous(NORMAL)"
}

func runIndex(o indexOptions) (*indexResult, error) {
	dir, err := os.MkdirTemp(o.dir, "ingestbench-index-")
	if err != nil {
		return nil, err
	}
	defer os.RemoveAll(dir)
	if fs, err := benchdisk.Check(dir, 0); err != nil {
		return nil, err
	} else {
		progress("index: database in %s (%s)", dir, fs)
	}
	path := filepath.Join(dir, "vigil.db")
	st, err := store.Open(path) // creates and migrates the schema
	if err != nil {
		return nil, err
	}
	defer st.Close()

	res := &indexResult{opts: o}
	// The period ends at the last whole segment before now.
	end := time.Now().UTC().Truncate(indexSegment)
	begin := end.Add(-time.Duration(o.days) * 24 * time.Hour)
	slots := int(end.Sub(begin) / indexSegment)
	res.rows = slots * o.cameras
	progress("index: inserting %d days x %d cameras of %v segments (%d rows)", o.days, o.cameras, indexSegment, res.rows)
	t0 := time.Now()
	if err := loadIndex(path, begin, slots, o.cameras); err != nil {
		return nil, err
	}
	res.insert = time.Since(t0)
	// The baseline's own handle: store.Open's DSN exactly.
	db, err := sql.Open("sqlite", storeDSN(path))
	if err != nil {
		return nil, err
	}
	defer db.Close()
	if fi, err := os.Stat(path); err == nil {
		res.dbBytes = fi.Size()
	}
	if fi, err := os.Stat(path + "-wal"); err == nil {
		res.walBytes = fi.Size()
	}

	// Queries: a random camera and a random 10-minute window of the period;
	// the baselines fetch one random row by its unique path (through the
	// store, like the measured query) and by primary key (plain SQL). The
	// three are interleaved so that noise hits them alike.
	progress("index: %d queries of each kind", o.queries)
	ctx := context.Background()
	rng := rand.New(rand.NewPCG(1, 2))
	span := end.Sub(begin) - indexWindow
	cols := `id, camera_id, start_us, end_us, path, bytes, sha256, stream_id, sequence, frames, repaired`
	byID, err := db.Prepare(`SELECT ` + cols + ` FROM segments WHERE id = $1`)
	if err != nil {
		return nil, err
	}
	defer byID.Close()
	for range o.queries {
		cam := sim.CameraName(1 + rng.IntN(o.cameras))
		from := begin.Add(time.Duration(rng.Int64N(int64(span))))
		t := time.Now()
		segs, err := st.Segments(ctx, cam, from, from.Add(indexWindow))
		res.segments = append(res.segments, time.Since(t))
		res.age = append(res.age, float64(from.Sub(begin))/float64(span))
		if err != nil {
			return nil, err
		}
		res.found += len(segs)
		if len(segs) == 0 {
			res.empty++
		}

		slot, c := rng.IntN(slots), 1+rng.IntN(o.cameras)
		p := segmentPath(sim.CameraName(c), begin.Add(time.Duration(slot)*indexSegment))
		t = time.Now()
		if _, err := st.SegmentByPath(ctx, p); err != nil {
			return nil, fmt.Errorf("SegmentByPath %s: %w", p, err)
		}
		res.byPath = append(res.byPath, time.Since(t))

		id := 1 + rng.Int64N(int64(res.rows))
		t = time.Now()
		var (
			rid, bytes, start, stop, seq, frames int64
			camera, spath, sum, stream           string
			repaired                             bool
		)
		if err := byID.QueryRowContext(ctx, id).Scan(&rid, &camera, &start, &stop, &spath, &bytes, &sum, &stream, &seq, &frames, &repaired); err != nil {
			return nil, fmt.Errorf("row %d: %w", id, err)
		}
		if _, err := uuid.Parse(stream); err != nil { // what the store's scan does too
			return nil, err
		}
		if _, err := hex.DecodeString(sum); err != nil {
			return nil, err
		}
		res.byID = append(res.byID, time.Since(t))
	}
	return res, nil
}

func segmentPath(camera string, start time.Time) string {
	return camera + "/" + start.Format("2006/01/02") + "/" + start.Format("20060102T150405.000Z") + "_0.mp4"
}

// loadIndex opens a loading handle on the store's file (bulk-load pragmas:
// no fsync, a 256 MiB page cache; they do not outlive the handle), fills
// the index and folds the WAL into the file, so its size is the database's.
func loadIndex(path string, begin time.Time, slots, cameras int) error {
	db, err := sql.Open("sqlite", storeDSN(path)+"&_pragma=synchronous(OFF)&_pragma=cache_size(-262144)")
	if err != nil {
		return err
	}
	defer db.Close()
	db.SetMaxOpenConns(1)
	if err := fillIndex(db, begin, slots, cameras); err != nil {
		return err
	}
	_, err = db.Exec("PRAGMA wal_checkpoint(TRUNCATE)")
	return err
}

// fillIndex inserts slots x cameras contiguous segments, time order, in
// transactions of indexTxRows rows.
func fillIndex(db *sql.DB, begin time.Time, slots, cameras int) error {
	const insert = `INSERT INTO segments
		(camera_id, start_us, end_us, path, bytes, sha256, stream_id, sequence, frames, repaired)
		VALUES ($1,$2,$3,$4,$5,$6,$7,$8,$9,$10)`
	// One ingest session per camera per day.
	streams := make([]string, cameras)
	var (
		tx   *sql.Tx
		stmt *sql.Stmt
		n    int
		err  error
		day  = -1
	)
	last := time.Now()
	for slot := range slots {
		start := begin.Add(time.Duration(slot) * indexSegment)
		if d := int(start.Sub(begin) / (24 * time.Hour)); d != day {
			day = d
			for i := range streams {
				streams[i] = uuid.NewString()
			}
		}
		for c := range cameras {
			if tx == nil {
				if tx, err = db.Begin(); err != nil {
					return err
				}
				if stmt, err = tx.Prepare(insert); err != nil {
					tx.Rollback()
					return err
				}
			}
			cam := sim.CameraName(c + 1)
			p := segmentPath(cam, start)
			sum := sha256.Sum256([]byte(p))
			_, err = stmt.Exec(cam, start.UnixMicro(), start.Add(indexSegment).UnixMicro(), p,
				int64(150<<20), hex.EncodeToString(sum[:]), streams[c], int64(slot%288), 7500, false)
			if err != nil {
				tx.Rollback()
				return fmt.Errorf("insert %s: %w", p, err)
			}
			if n++; n%indexTxRows == 0 {
				stmt.Close()
				if err = tx.Commit(); err != nil {
					return err
				}
				tx = nil
				if time.Since(last) > 10*time.Second {
					last = time.Now()
					progress("index: %d rows", n)
				}
			}
		}
	}
	if tx != nil {
		stmt.Close()
		return tx.Commit()
	}
	return nil
}

// percentile of sorted durations (nearest rank).
func percentile(sorted []time.Duration, p float64) time.Duration {
	if len(sorted) == 0 {
		return 0
	}
	i := int(p*float64(len(sorted))+0.999999) - 1
	return sorted[max(0, min(i, len(sorted)-1))]
}

func ms(d time.Duration) float64 { return float64(d) / float64(time.Millisecond) }

func (r *indexResult) print(w io.Writer) {
	o := r.opts
	fmt.Fprintf(w, "\nindex benchmark: %d days x %d cameras x %v segments = %d rows in SQLite (modernc, WAL), OS page cache warm\n",
		o.days, o.cameras, indexSegment, r.rows)
	fmt.Fprintf(w, "  inserted in %.1f s = %.0f rows/s (bulk load: transactions of %d rows, one prepared INSERT, synchronous=OFF, on a second *sql.DB on the store's file)\n",
		r.insert.Seconds(), float64(r.rows)/r.insert.Seconds(), indexTxRows)
	fmt.Fprintf(w, "  database file %.1f MiB (WAL %.1f MiB after checkpoint), %.0f bytes per segment row\n",
		float64(r.dbBytes)/(1<<20), float64(r.walBytes)/(1<<20), float64(r.dbBytes)/float64(max(r.rows, 1)))
	type row struct {
		name string
		d    []time.Duration
	}
	rows := []row{
		{"store.Segments(camera, 10-min window)", r.segments},
		{"baseline: store.SegmentByPath (unique index)", r.byPath},
		{"baseline: SELECT ... WHERE id = ? (primary key)", r.byID},
	}
	fmt.Fprintf(w, "  %d queries each, interleaved; random camera and window / random row:\n", o.queries)
	var p50, p95 [3]time.Duration
	fmt.Fprintf(w, "  %-48s %9s %9s %9s %9s\n", "query", "p50_ms", "p95_ms", "p99_ms", "max_ms")
	for i, q := range rows {
		s := slices.Clone(q.d)
		slices.Sort(s)
		p50[i], p95[i] = percentile(s, 0.50), percentile(s, 0.95)
		fmt.Fprintf(w, "  %-48s %9.3f %9.3f %9.3f %9.3f\n", q.name, ms(p50[i]), ms(p95[i]), ms(percentile(s, 0.99)), ms(s[len(s)-1]))
	}
	fmt.Fprintf(w, "  store.Segments returned %.2f segments per query on average, %d queries returned none\n",
		float64(r.found)/float64(max(len(r.segments), 1)), r.empty)
	// Where in the period the window falls: the query's cost depends on it
	// if the index range scan runs from the window to the newest segment.
	var oldest, newest []time.Duration
	for i, a := range r.age {
		switch {
		case a < 0.1:
			oldest = append(oldest, r.segments[i])
		case a > 0.9:
			newest = append(newest, r.segments[i])
		}
	}
	if len(oldest) > 0 && len(newest) > 0 {
		slices.Sort(oldest)
		slices.Sort(newest)
		fmt.Fprintf(w, "  store.Segments p50 by window age: oldest tenth of the period %.3f ms (%d queries), newest tenth %.3f ms (%d queries)\n",
			ms(percentile(oldest, 0.5)), len(oldest), ms(percentile(newest, 0.5)), len(newest))
	}
	if p50[1] > 0 && p95[1] > 0 {
		fmt.Fprintf(w, "ratio (Segments / SegmentByPath): p50 %.1f, p95 %.1f\n", float64(p50[0])/float64(p50[1]), float64(p95[0])/float64(p95[1]))
	}
	fmt.Fprintf(w, "index lookup p95: %.3f ms   target < %.0f ms   %s\n", ms(p95[0]), targetIndexMS, verdict(ms(p95[0]) < targetIndexMS && r.empty == 0))
	fmt.Fprintln(w, "  note: this is the index-lookup part of playback's time to first byte only; the full first byte (segment open,")
	fmt.Fprintln(w, "  header parse, first fragment) is recorder/playback's BenchmarkPlaybackFirstByte (the Go benchmarks of make bench).")
}
