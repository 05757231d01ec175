package app

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"time"

	"github.com/vigil-cctv/vigil/ingest/store"
	"github.com/vigil-cctv/vigil/recorder/playback"
)

// The nodes of a cluster read each other's segments for playback: GET
// /internal/v1/segments?path=P on the node whose disk holds P, signed with
// the cluster's secret. Its answer is the file's bytes (ranges allowed);
// footage reaches a person only through the node they asked, which checks
// their access and logs it.

const (
	segmentsPath = "/internal/v1/segments"
	// signedFor bounds how old a signed request may be.
	signedFor = time.Minute
)

// sign adds this node's signature to an internal request with body (nil
// for none): the signature covers the body's hash.
func (n *nodeRouter) sign(r *http.Request, body []byte) {
	at := strconv.FormatInt(time.Now().Unix(), 10)
	sum := sha256.Sum256(body)
	r.Header.Set("X-Vigil-Node", n.self)
	r.Header.Set("X-Vigil-Node-Time", at)
	r.Header.Set("X-Vigil-Node-Signature", n.signature(n.self, r.Method, r.URL.RequestURI(), at, sum[:]))
}

func (n *nodeRouter) signature(node, method, uri, at string, bodySum []byte) string {
	m := hmac.New(sha256.New, n.secret)
	fmt.Fprintf(m, "%s\n%s\n%s\n%s\n%x", node, method, uri, at, bodySum)
	return hex.EncodeToString(m.Sum(nil))
}

// maxInternalBody bounds what one node may send another (a batch of
// evidence entries).
const maxInternalBody = 8 << 20

// authentic says whether r was signed by a node of the cluster just now,
// and returns its body (read whole, within maxInternalBody).
func (n *nodeRouter) authentic(r *http.Request) ([]byte, error) {
	at := r.Header.Get("X-Vigil-Node-Time")
	sec, err := strconv.ParseInt(at, 10, 64)
	if err != nil || time.Since(time.Unix(sec, 0)).Abs() > signedFor {
		return nil, errors.New("not signed by a node of this cluster just now")
	}
	body, err := io.ReadAll(io.LimitReader(r.Body, maxInternalBody+1))
	if err != nil || len(body) > maxInternalBody {
		return nil, fmt.Errorf("request body unreadable or over %d bytes", maxInternalBody)
	}
	sum := sha256.Sum256(body)
	want := n.signature(r.Header.Get("X-Vigil-Node"), r.Method, r.URL.RequestURI(), at, sum[:])
	if !hmac.Equal([]byte(want), []byte(r.Header.Get("X-Vigil-Node-Signature"))) {
		return nil, errors.New("not signed by a node of this cluster")
	}
	return body, nil
}

// ServeHTTP answers the other nodes: a segment on this node's disk, and
// appends to the evidence log while this node writes it.
func (n *nodeRouter) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	body, err := n.authentic(r)
	if err != nil {
		http.Error(w, err.Error(), http.StatusUnauthorized)
		return
	}
	switch {
	case r.URL.Path == evidenceAppendPath && r.Method == http.MethodPost:
		n.serveEvidenceAppend(w, r, body)
		return
	case r.URL.Path == evidenceCheckpointPath && r.Method == http.MethodPost:
		n.serveEvidenceCheckpoint(w, r)
		return
	case r.URL.Path != segmentsPath || (r.Method != http.MethodGet && r.Method != http.MethodHead):
		http.NotFound(w, r)
		return
	}
	// Only a segment the index says is here: no path reaches anything else.
	seg, err := n.store.SegmentByPath(r.Context(), r.URL.Query().Get("path"))
	if err != nil || (seg.Node != n.self && seg.Node != "") {
		http.Error(w, "no such segment on this node", http.StatusNotFound)
		return
	}
	// Its file, or the object it was uploaded to since the asking node
	// read the index.
	f, err := n.open(&seg)
	if err != nil {
		http.Error(w, "segment file missing on this node", http.StatusNotFound)
		return
	}
	defer f.Close()
	w.Header().Set("Content-Type", "video/mp4")
	http.ServeContent(w, r, "", time.Time{}, io.NewSectionReader(f, 0, f.Size()))
}

// openRemote reads a segment from the node whose disk holds it.
func (n *nodeRouter) openRemote(s *store.Segment) (playback.File, error) {
	p, err := n.peer(context.Background(), s.Node)
	if err != nil {
		return nil, err
	}
	u := *p.url
	u.Path = segmentsPath
	u.RawQuery = url.Values{"path": {s.Path}}.Encode()
	client := &http.Client{Transport: p.tr, Timeout: 30 * time.Second}
	node, at := s.Node, u.String()
	return playback.BlockFile(s.Bytes, func(start, end int64) ([]byte, error) {
		req, err := http.NewRequest(http.MethodGet, at, nil)
		if err != nil {
			return nil, err
		}
		req.Header.Set("Range", fmt.Sprintf("bytes=%d-%d", start, end))
		n.sign(req, nil)
		res, err := client.Do(req)
		if err != nil {
			return nil, fmt.Errorf("segment on node %s: %w", node, err)
		}
		defer res.Body.Close()
		if res.StatusCode != http.StatusPartialContent {
			msg, _ := io.ReadAll(io.LimitReader(res.Body, 512))
			return nil, fmt.Errorf("segment on node %s: %s: %s", node, res.Status, msg)
		}
		b, err := io.ReadAll(io.LimitReader(res.Body, end-start+1))
		if err != nil {
			return nil, fmt.Errorf("segment on node %s: %w", node, err)
		}
		return b, nil
	}), nil
}
