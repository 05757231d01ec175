package store

import (
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/vigil-cctv/vigil/ingest"
)

// NodeRecord is one node of several sharing the store: where the others
// reach it, how many cameras it may own, and when it last said it was
// alive.
type NodeRecord struct {
	ID  string
	URL string
	// Cert is the node's TLS certificate (PEM; "" without TLS): the
	// others pin it when they forward requests there.
	Cert     string
	Capacity int
	Started  time.Time
	Seen     time.Time
	Stopped  time.Time // zero while it runs; set by a clean stop
}

// Lease is a camera's owner: the node that ingests and records it until
// Expires, unless it renews. Epoch goes up at every change of owner.
type Lease struct {
	Camera   string
	Node     string
	Epoch    int64
	Acquired time.Time
	Expires  time.Time
	// Reason says why the camera came to this node: "new", "failover: …",
	// "rebalance: …", "hand-over: …".
	Reason string
	// MovingTo is the node a rebalance is moving the camera to ("" when
	// none), since MovingSince; MovingReady once that node has the
	// camera's picture, and the owner may cut its recording.
	MovingTo    string
	MovingSince time.Time
	MovingReady bool
	// Cut is where the previous owner's recording ended, on a keyframe,
	// when the camera was handed over by a rebalance: the new owner's
	// begins there.
	Cut time.Time
}

// Heartbeat records that a node is alive at n.Seen (making its row the
// first time, or again after a stop).
func (s *Store) Heartbeat(ctx context.Context, n NodeRecord) error {
	_, err := s.db.ExecContext(ctx, `INSERT INTO nodes (id, url, cert, capacity, started_us, seen_us) VALUES ($1,$2,$6,$3,$4,$5)
		ON CONFLICT (id) DO UPDATE SET url = excluded.url, cert = excluded.cert, capacity = excluded.capacity, seen_us = excluded.seen_us,
			started_us = CASE WHEN nodes.stopped_us IS NULL THEN nodes.started_us ELSE excluded.started_us END,
			stopped_us = NULL`,
		n.ID, n.URL, n.Capacity, toMicros(n.Started), toMicros(n.Seen), n.Cert)
	if err != nil {
		return fmt.Errorf("heartbeat of node %s: %w", n.ID, err)
	}
	return nil
}

// StopNode records a node's clean stop and gives up its leases at once,
// so the others take its cameras without waiting for them to expire.
func (s *Store) StopNode(ctx context.Context, id string, at time.Time) error {
	tx, err := s.db.BeginTx(ctx, nil)
	if err != nil {
		return err
	}
	defer tx.Rollback()
	if _, err := tx.ExecContext(ctx, `UPDATE nodes SET stopped_us = $2 WHERE id = $1`, id, toMicros(at)); err != nil {
		return fmt.Errorf("stop node %s: %w", id, err)
	}
	if _, err := tx.ExecContext(ctx, `UPDATE camera_leases SET expires_us = $2 WHERE node = $1`, id, toMicros(at)); err != nil {
		return fmt.Errorf("stop node %s: %w", id, err)
	}
	return tx.Commit()
}

// LeaveNode records that a node is leaving (stopped for placement: no
// camera is given or moved to it) while it still holds its leases and
// hands its cameras over one by one.
func (s *Store) LeaveNode(ctx context.Context, id string, at time.Time) error {
	if _, err := s.db.ExecContext(ctx, `UPDATE nodes SET stopped_us = $2 WHERE id = $1`, id, toMicros(at)); err != nil {
		return fmt.Errorf("node %s leaving: %w", id, err)
	}
	return nil
}

// Nodes lists every node that has run, by id.
func (s *Store) Nodes(ctx context.Context) ([]NodeRecord, error) {
	rows, err := s.db.QueryContext(ctx, `SELECT id, url, cert, capacity, started_us, seen_us, stopped_us FROM nodes ORDER BY id`)
	if err != nil {
		return nil, fmt.Errorf("nodes: %w", err)
	}
	return collect(rows, func(r scanner) (NodeRecord, error) {
		var n NodeRecord
		var started, seen int64
		var stopped sql.NullInt64
		err := r.Scan(&n.ID, &n.URL, &n.Cert, &n.Capacity, &started, &seen, &stopped)
		n.Started, n.Seen, n.Stopped = fromMicros(started), fromMicros(seen), timeOf(stopped)
		return n, err
	})
}

const leaseColumns = `camera, node, epoch, acquired_us, expires_us, reason, moving_to, moving_us, moving_ready, cut_us`

func scanLease(r scanner) (Lease, error) {
	var l Lease
	var acquired, expires int64
	var cut, since sql.NullInt64
	err := r.Scan(&l.Camera, &l.Node, &l.Epoch, &acquired, &expires, &l.Reason, &l.MovingTo, &since, &l.MovingReady, &cut)
	l.Acquired, l.Expires, l.Cut, l.MovingSince = fromMicros(acquired), fromMicros(expires), timeOf(cut), timeOf(since)
	return l, err
}

// Leases lists every camera's lease, by camera.
func (s *Store) Leases(ctx context.Context) ([]Lease, error) {
	rows, err := s.db.QueryContext(ctx, `SELECT `+leaseColumns+` FROM camera_leases ORDER BY camera`)
	if err != nil {
		return nil, fmt.Errorf("leases: %w", err)
	}
	return collect(rows, scanLease)
}

// Lease is one camera's lease, or ErrNotFound.
func (s *Store) Lease(ctx context.Context, camera string) (Lease, error) {
	l, err := scanLease(s.db.QueryRowContext(ctx, `SELECT `+leaseColumns+` FROM camera_leases WHERE camera = $1`, camera))
	if errors.Is(err, sql.ErrNoRows) {
		return Lease{}, fmt.Errorf("lease of %s: %w", camera, ErrNotFound)
	}
	return l, err
}

// RenewLeases extends every lease node holds that has not expired by now
// to until, and returns them: the cameras the node owns. A lease that
// expired is not renewed: its camera may have gone to another node.
func (s *Store) RenewLeases(ctx context.Context, node string, now, until time.Time) ([]Lease, error) {
	rows, err := s.db.QueryContext(ctx, `UPDATE camera_leases SET expires_us = $3
		WHERE node = $1 AND expires_us > $2 RETURNING `+leaseColumns, node, toMicros(now), toMicros(until))
	if err != nil {
		return nil, fmt.Errorf("renew leases of %s: %w", node, err)
	}
	return collect(rows, scanLease)
}

// GrantLease gives a camera to a node, if its lease is still the one the
// caller read (epoch; 0 for a camera with none): placement by several
// nodes at once never gives one camera two owners. It says whether it did.
func (s *Store) GrantLease(ctx context.Context, l Lease, readEpoch int64) (bool, error) {
	var res sql.Result
	var err error
	if readEpoch == 0 {
		res, err = s.db.ExecContext(ctx, `INSERT INTO camera_leases (camera, node, epoch, acquired_us, expires_us, reason)
			VALUES ($1,$2,1,$3,$4,$5) ON CONFLICT (camera) DO NOTHING`, l.Camera, l.Node, toMicros(l.Acquired), toMicros(l.Expires), l.Reason)
	} else {
		res, err = s.db.ExecContext(ctx, `UPDATE camera_leases SET node = $2, epoch = epoch + 1, acquired_us = $3,
			expires_us = $4, reason = $5, moving_to = '', moving_us = NULL, moving_ready = 0, cut_us = $7
			WHERE camera = $1 AND epoch = $6`,
			l.Camera, l.Node, toMicros(l.Acquired), toMicros(l.Expires), l.Reason, readEpoch, nullMicros(l.Cut))
	}
	if err != nil {
		return false, fmt.Errorf("lease of %s to %s: %w", l.Camera, l.Node, err)
	}
	n, err := res.RowsAffected()
	return n == 1, err
}

// DropLease removes a camera's lease (a camera disabled or deleted), if it
// is still the one read.
func (s *Store) DropLease(ctx context.Context, camera string, readEpoch int64) error {
	if _, err := s.db.ExecContext(ctx, `DELETE FROM camera_leases WHERE camera = $1 AND epoch = $2`, camera, readEpoch); err != nil {
		return fmt.Errorf("drop lease of %s: %w", camera, err)
	}
	return nil
}

// MarkMove starts a rebalance at at: the camera is to move to node to, if
// its lease is still the one read and is moving nowhere yet. It says
// whether it did. The target says when it is ready (MoveReady), and the
// owner then hands the camera over (GrantLease with Cut); a move is
// called off with to "".
func (s *Store) MarkMove(ctx context.Context, camera string, readEpoch int64, to string, at time.Time) (bool, error) {
	res, err := s.db.ExecContext(ctx, `UPDATE camera_leases SET moving_to = $3, moving_us = $4, moving_ready = 0
		WHERE camera = $1 AND epoch = $2 AND (moving_to = '') <> ($3 = '')`, camera, readEpoch, to, nullMicros(at))
	if err != nil {
		return false, fmt.Errorf("move %s to %s: %w", camera, to, err)
	}
	n, err := res.RowsAffected()
	return n == 1, err
}

// MoveReady records that node, the target of a camera's move, has the
// camera's picture: its owner may hand it over.
func (s *Store) MoveReady(ctx context.Context, camera, node string, readEpoch int64) error {
	if _, err := s.db.ExecContext(ctx, `UPDATE camera_leases SET moving_ready = 1
		WHERE camera = $1 AND moving_to = $2 AND epoch = $3`, camera, node, readEpoch); err != nil {
		return fmt.Errorf("%s ready for %s: %w", node, camera, err)
	}
	return nil
}

// IncomingLeases lists the leases being moved to node by a rebalance.
func (s *Store) IncomingLeases(ctx context.Context, node string) ([]Lease, error) {
	rows, err := s.db.QueryContext(ctx, `SELECT `+leaseColumns+` FROM camera_leases WHERE moving_to = $1 ORDER BY camera`, node)
	if err != nil {
		return nil, fmt.Errorf("leases moving to %s: %w", node, err)
	}
	return collect(rows, scanLease)
}

// ReportedStatus is a camera's health as the node that runs it last
// reported it.
type ReportedStatus struct {
	Node   string
	At     time.Time
	Status ingest.CameraStatus
}

// ReportStatuses records the health of the cameras node runs, at at.
func (s *Store) ReportStatuses(ctx context.Context, node string, at time.Time, sts []ingest.CameraStatus) error {
	if len(sts) == 0 {
		return nil
	}
	tx, err := s.db.BeginTx(ctx, nil)
	if err != nil {
		return err
	}
	defer tx.Rollback()
	for _, st := range sts {
		raw, err := json.Marshal(st)
		if err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, `INSERT INTO camera_status (camera, node, status, updated_us) VALUES ($1,$2,$3,$4)
			ON CONFLICT (camera) DO UPDATE SET node = excluded.node, status = excluded.status, updated_us = excluded.updated_us`,
			st.ID, node, string(raw), toMicros(at)); err != nil {
			return fmt.Errorf("report status of %s: %w", st.ID, err)
		}
	}
	return tx.Commit()
}

// ReportedStatuses is every camera's last reported health, by camera.
func (s *Store) ReportedStatuses(ctx context.Context) (map[string]ReportedStatus, error) {
	rows, err := s.db.QueryContext(ctx, `SELECT camera, node, status, updated_us FROM camera_status`)
	if err != nil {
		return nil, fmt.Errorf("reported statuses: %w", err)
	}
	defer rows.Close()
	out := map[string]ReportedStatus{}
	for rows.Next() {
		var id, raw string
		var r ReportedStatus
		var at int64
		if err := rows.Scan(&id, &r.Node, &raw, &at); err != nil {
			return nil, err
		}
		if err := json.Unmarshal([]byte(raw), &r.Status); err != nil {
			return nil, fmt.Errorf("reported status of %s: %w", id, err)
		}
		r.At = fromMicros(at)
		out[id] = r
	}
	return out, rows.Err()
}

// ClusterSecret is the key the nodes sign their requests to each other
// with: made by the first node to ask, the same for all.
func (s *Store) ClusterSecret(ctx context.Context) ([]byte, error) {
	key := make([]byte, 32)
	rand.Read(key) // never fails
	if _, err := s.db.ExecContext(ctx, `INSERT INTO cluster_secret (id, secret) VALUES (1, $1) ON CONFLICT (id) DO NOTHING`, key); err != nil {
		return nil, fmt.Errorf("cluster secret: %w", err)
	}
	if err := s.db.QueryRowContext(ctx, `SELECT secret FROM cluster_secret WHERE id = 1`).Scan(&key); err != nil {
		return nil, fmt.Errorf("cluster secret: %w", err)
	}
	return key, nil
}
