package ui

// AlertService raises, lists and acknowledges alerts (*alerts.Service).
// Stub: owner A replaces this file.
type AlertService interface{}

func (s *Server) alertRoutes(rt *router) {}
