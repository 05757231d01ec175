package ui

import (
	"net/http"
	"slices"

	"github.com/vigil-cctv/vigil/ui/auth"
)

// Route is one registered route and who may call it. Server.Routes lists
// them, so that tests can try every route with every role.
type Route struct {
	Pattern string
	Public  bool // no sign-in
	Self    bool // any signed-in person
	Perms   []auth.Permission
	Camera  bool // {id} is a camera checked against the caller's scope
}

// router is the only way to add a route, and it takes an access rule with
// every one: a route cannot be added unprotected by forgetting a check.
type router struct {
	mux    *http.ServeMux
	gate   *gate
	routes []Route
}

func (rt *router) handle(pattern string, a access, h http.HandlerFunc) {
	if !a.public && !a.self && len(a.perms) == 0 {
		panic("ui: route " + pattern + " has no access rule")
	}
	rt.routes = append(rt.routes, Route{Pattern: pattern, Public: a.public, Self: a.self,
		Perms: slices.Clone(a.perms), Camera: a.camera})
	rt.mux.HandleFunc(pattern, rt.gate.wrap(pattern, a, h))
}

var (
	public = access{public: true}
	self   = access{self: true}
)

// onCamera is a with the route's {id} checked against the caller's scope.
func onCamera(a access) access { a.camera = true; return a }
