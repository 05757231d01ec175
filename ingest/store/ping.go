package store

import "context"

// Ping checks that the database answers: the service's readiness check
// (GET /readyz) calls it.
func (s *Store) Ping(ctx context.Context) error { return s.db.PingContext(ctx) }
