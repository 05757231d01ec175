package ui

import "context"

// AnalyticsStore is the store of analytics settings, events and activity
// (*store.Store). Stub: owner S replaces this file.
type AnalyticsStore interface{}

// AnalyticsReloader is told when a camera's analytics settings change.
type AnalyticsReloader interface {
	Reload(ctx context.Context, camera string) error
}

func (s *Server) analyticsRoutes(rt *router) {}
