package app

import (
	"bytes"
	"context"
	"crypto/tls"
	"crypto/x509"
	"encoding/json"
	"encoding/pem"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/http/httputil"
	"net/url"
	"sync"
	"time"

	"github.com/vigil-cctv/vigil/evidence/locker"
	"github.com/vigil-cctv/vigil/ingest/store"
	"github.com/vigil-cctv/vigil/recorder/playback"
	"github.com/vigil-cctv/vigil/ui"
)

// nodeRouter is ui.Nodes over the shared store: the leases say which node
// runs a camera, the recordings index whose disk holds footage, and the
// nodes table where each node is and which certificate it serves (pinned:
// the store, which every node trusts, vouches for it).
type nodeRouter struct {
	self     string
	store    *store.Store
	leaseTTL time.Duration
	logger   *slog.Logger

	// open opens the segments this node serves the others (its files, or
	// their objects once uploaded); secret signs the nodes' requests to
	// each other (store.ClusterSecret).
	open   func(*store.Segment) (playback.File, error)
	secret []byte
	// evlog is the evidence log, which this node may write for the others.
	evlog *locker.Log

	mu    sync.Mutex
	peers map[string]*peer // by node, URL and certificate
}

var _ ui.Nodes = (*nodeRouter)(nil)

func (n *nodeRouter) Self() string { return n.self }

func (n *nodeRouter) CameraNode(ctx context.Context, camera string) string {
	l, err := n.store.Lease(ctx, camera)
	if err != nil || !l.Expires.After(time.Now()) {
		return "" // nobody runs it: this node answers (no stream)
	}
	return l.Node
}

func (n *nodeRouter) FootageNode(ctx context.Context, camera string, at time.Time) string {
	segs, err := n.store.Segments(ctx, camera, at, at.Add(time.Microsecond))
	if err == nil && len(segs) > 0 {
		if s := segs[len(segs)-1]; s.Object == "" {
			return s.Node
		}
		return "" // in the object store: read from there
	}
	return n.CameraNode(ctx, camera) // not sealed yet: its open segment
}

func (n *nodeRouter) Sealed(ctx context.Context, camera string, t time.Time) bool {
	last, err := n.store.LastSegment(ctx, camera)
	return err == nil && !last.End.Before(t)
}

// Forward sends r to node, which must have said it is alive within two
// lease TTLs; otherwise the person is told which node holds what they
// asked for.
func (n *nodeRouter) Forward(w http.ResponseWriter, r *http.Request, node string) {
	p, err := n.peer(r.Context(), node)
	if err != nil {
		n.logger.Warn("cannot forward a request to the node that can answer it", "node", node, "path", r.URL.Path, "error", err)
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(http.StatusServiceUnavailable)
		json.NewEncoder(w).Encode(map[string]string{"error": err.Error()})
		return
	}
	r.Header.Set(ui.ForwardedHeader, n.self)
	w.Header().Del(ui.NodeHeader) // the answer says which node it is from
	p.proxy.ServeHTTP(w, r)
}

// peer is how to reach another node: its URL, and a transport that pins
// the certificate it registered.
type peer struct {
	url   *url.URL
	tr    *http.Transport
	proxy *httputil.ReverseProxy
}

func (n *nodeRouter) peer(ctx context.Context, id string) (*peer, error) {
	nodes, err := n.store.Nodes(ctx)
	if err != nil {
		return nil, err
	}
	var rec *store.NodeRecord
	for i := range nodes {
		if nodes[i].ID == id {
			rec = &nodes[i]
		}
	}
	switch {
	case rec == nil:
		return nil, fmt.Errorf("node %s is not known to the cluster", id)
	case !rec.Stopped.IsZero() || time.Since(rec.Seen) > 2*n.leaseTTL:
		return nil, fmt.Errorf("node %s, which holds this, is not running (last seen %s); try again once it is back", id, rec.Seen.UTC().Format(time.RFC3339))
	case rec.URL == "":
		return nil, fmt.Errorf("node %s has no cluster.advertise_url: it cannot be reached from here", id)
	}
	key := rec.ID + " " + rec.URL + " " + rec.Cert
	n.mu.Lock()
	defer n.mu.Unlock()
	if p, ok := n.peers[key]; ok {
		return p, nil
	}
	target, err := url.Parse(rec.URL)
	if err != nil {
		return nil, fmt.Errorf("node %s: advertise_url: %w", id, err)
	}
	tr := http.DefaultTransport.(*http.Transport).Clone()
	if rec.Cert != "" {
		pinned, err := certDER(rec.Cert)
		if err != nil {
			return nil, fmt.Errorf("node %s: certificate: %w", id, err)
		}
		// The node's own (often self-signed) certificate, exactly: the
		// name it was made for does not matter.
		tr.TLSClientConfig = &tls.Config{InsecureSkipVerify: true, MinVersion: tls.VersionTLS12,
			VerifyPeerCertificate: func(raw [][]byte, _ [][]*x509.Certificate) error {
				if len(raw) == 0 || !bytes.Equal(raw[0], pinned) {
					return fmt.Errorf("node %s presented a certificate other than the one it registered", id)
				}
				return nil
			}}
	}
	rp := httputil.NewSingleHostReverseProxy(target)
	rp.Transport = tr
	rp.ErrorHandler = func(w http.ResponseWriter, r *http.Request, err error) {
		n.logger.Warn("forwarding to another node failed", "node", id, "path", r.URL.Path, "error", err)
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(http.StatusBadGateway)
		json.NewEncoder(w).Encode(map[string]string{"error": fmt.Sprintf("node %s, which holds this, did not answer: try again shortly", id)})
	}
	if n.peers == nil {
		n.peers = map[string]*peer{}
	}
	p := &peer{url: target, tr: tr, proxy: rp}
	n.peers[key] = p
	return p, nil
}

func certDER(pemText string) ([]byte, error) {
	b, _ := pem.Decode([]byte(pemText))
	if b == nil || b.Type != "CERTIFICATE" {
		return nil, errors.New("not a PEM certificate")
	}
	return b.Bytes, nil
}
