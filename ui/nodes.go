package ui

import (
	"context"
	"net/http"
	"strings"
	"time"
)

// Nodes, in a cluster of nodes sharing the store, finds the node that can
// answer a request about a camera, and forwards requests there. Sessions
// and people are in the shared store, so the node forwarded to signs the
// person in, checks their access and logs it, as if asked directly.
type Nodes interface {
	// Self is this node's id.
	Self() string
	// CameraNode is the node that runs camera now; "" when it is this
	// node, or no live node runs it.
	CameraNode(ctx context.Context, camera string) string
	// FootageNode is the node whose disk holds camera's footage at t (the
	// one running it, for footage not yet sealed); "" when this one can
	// read it (its own disk, or the shared object store).
	FootageNode(ctx context.Context, camera string, at time.Time) string
	// Sealed says whether camera's footage up to t is sealed and indexed:
	// any node can then play it, reading each segment from where it is.
	Sealed(ctx context.Context, camera string, t time.Time) bool
	// Forward sends r to node and copies the answer to w.
	Forward(w http.ResponseWriter, r *http.Request, node string)
}

// NodeHeader names the node that answered, in a cluster: a forwarded
// request's answer carries the node it was forwarded to.
const NodeHeader = "X-Vigil-Node"

func nodeHeader(self string, h http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set(NodeHeader, self)
		h.ServeHTTP(w, r)
	})
}

// ForwardedHeader marks a request one node forwarded to another: it is
// answered there, never forwarded again.
const ForwardedHeader = "X-Vigil-Forwarded-By"

// forward sends r to node when that is another node, and says whether it
// did: the caller then has nothing more to do.
func (g *gate) forward(w http.ResponseWriter, r *http.Request, node string) bool {
	if g.nodes == nil || node == "" || node == g.nodes.Self() || r.Header.Get(ForwardedHeader) != "" {
		return false
	}
	g.nodes.Forward(w, r, node)
	return true
}

// sessionNode is the node that runs a live session: its id starts with
// the node's name and a dot (live.Config.SessionPrefix).
func sessionNode(id string) string {
	node, _, ok := strings.Cut(id, ".")
	if !ok {
		return ""
	}
	return node
}

// elsewhere forwards a request about a camera's recordings to the node
// that runs the camera, when that is another: it alone has the segment
// still being written, and reads the sealed ones from whichever node
// holds them. It says whether it did.
func (a *cameraAPI) elsewhere(w http.ResponseWriter, r *http.Request, camera string) bool {
	return a.gate.toCameraNode(w, r, camera)
}

// elsewhereUntil is elsewhere for a request about footage up to t: footage
// all sealed is answered here, so it plays even while the camera's node
// is down (before its cameras have moved).
func (a *cameraAPI) elsewhereUntil(w http.ResponseWriter, r *http.Request, camera string, t time.Time) bool {
	if a.gate.nodes != nil && !t.IsZero() && a.gate.nodes.Sealed(r.Context(), camera, t) {
		return false
	}
	return a.elsewhere(w, r, camera)
}

// toCameraNode forwards r to the node that runs camera, when that is
// another, and says whether it did.
func (g *gate) toCameraNode(w http.ResponseWriter, r *http.Request, camera string) bool {
	return g.nodes != nil && g.forward(w, r, g.nodes.CameraNode(r.Context(), camera))
}
