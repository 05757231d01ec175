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
	"os"
	"path/filepath"
	"strconv"
	"sync"
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
	f, err := os.Open(filepath.Join(n.recordings, filepath.FromSlash(seg.Path)))
	if err != nil {
		http.Error(w, "segment file missing on this node", http.StatusNotFound)
		return
	}
	defer f.Close()
	w.Header().Set("Content-Type", "video/mp4")
	http.ServeContent(w, r, "", time.Time{}, f)
}

// OpenSegment opens a segment for playback: from this node's disk, or
// read from the node whose disk holds it.
func (n *nodeRouter) OpenSegment(s *store.Segment) (playback.File, error) {
	if s.Node == n.self || s.Node == "" {
		return playback.OpenFile(filepath.Join(n.recordings, filepath.FromSlash(s.Path)))
	}
	p, err := n.peer(context.Background(), s.Node)
	if err != nil {
		return nil, err
	}
	u := *p.url
	u.Path = segmentsPath
	u.RawQuery = url.Values{"path": {s.Path}}.Encode()
	return &remoteFile{n: n, client: &http.Client{Transport: p.tr, Timeout: 30 * time.Second}, url: u.String(),
		size: s.Bytes, node: s.Node, blocks: map[int64][]byte{}}, nil
}

// remoteFile reads a segment on another node in blocks, a few kept: the
// player's many small reads (fragment headers) cost one request a block.
type remoteFile struct {
	n      *nodeRouter
	client *http.Client
	url    string
	size   int64
	node   string

	mu     sync.Mutex
	blocks map[int64][]byte
	order  []int64 // oldest first
}

const (
	remoteBlock  = 1 << 20
	remoteBlocks = 8
)

func (f *remoteFile) Size() int64  { return f.size }
func (f *remoteFile) Close() error { return nil }

func (f *remoteFile) ReadAt(p []byte, off int64) (int, error) {
	if off < 0 {
		return 0, errors.New("negative offset")
	}
	n := 0
	for n < len(p) && off+int64(n) < f.size {
		at := off + int64(n)
		b, err := f.block(at / remoteBlock)
		if err != nil {
			return n, err
		}
		n += copy(p[n:], b[at%remoteBlock:])
	}
	if n < len(p) {
		return n, io.EOF
	}
	return n, nil
}

func (f *remoteFile) block(i int64) ([]byte, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if b, ok := f.blocks[i]; ok {
		return b, nil
	}
	start := i * remoteBlock
	end := min(start+remoteBlock, f.size) - 1
	req, err := http.NewRequest(http.MethodGet, f.url, nil)
	if err != nil {
		return nil, err
	}
	req.Header.Set("Range", fmt.Sprintf("bytes=%d-%d", start, end))
	f.n.sign(req, nil)
	res, err := f.client.Do(req)
	if err != nil {
		return nil, fmt.Errorf("segment on node %s: %w", f.node, err)
	}
	defer res.Body.Close()
	if res.StatusCode != http.StatusPartialContent {
		msg, _ := io.ReadAll(io.LimitReader(res.Body, 512))
		return nil, fmt.Errorf("segment on node %s: %s: %s", f.node, res.Status, msg)
	}
	b, err := io.ReadAll(io.LimitReader(res.Body, end-start+1))
	if err != nil || int64(len(b)) != end-start+1 {
		return nil, fmt.Errorf("segment on node %s: %d of %d bytes: %v", f.node, len(b), end-start+1, err)
	}
	if len(f.order) == remoteBlocks {
		delete(f.blocks, f.order[0])
		f.order = f.order[1:]
	}
	f.blocks[i] = b
	f.order = append(f.order, i)
	return b, nil
}
