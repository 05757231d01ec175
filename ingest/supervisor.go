package ingest

import (
	"log/slog"
	"sort"
	"sync"
	"time"
)

// The two streams of a camera.
const (
	StreamMain = "main"
	StreamSub  = "sub"
)

// Camera is what the supervisor needs to know of a camera.
type Camera struct {
	ID      string
	Enabled bool
	// Streams by name ("main", "sub"); a missing or empty URL means the
	// camera has no such stream.
	Main, Sub Target
}

// Defaults apply to every stream the supervisor runs.
type Defaults struct {
	Transport     string
	ReadTimeout   time.Duration
	Backoff       Backoff
	GOPCacheBytes int
}

// CameraStatus is a camera's health: one entry per stream.
type CameraStatus struct {
	ID      string         `json:"id"`
	Enabled bool           `json:"enabled"`
	Streams []StreamStatus `json:"streams"`
}

// Supervisor runs one worker per enabled camera stream and keeps a hub per
// stream. Changing one camera restarts only that camera's workers; hubs
// survive restarts so readers stay attached.
type Supervisor struct {
	Source   SourceFunc
	Defaults Defaults
	Outages  OutageStore // may be nil
	Metrics  *Metrics
	Logger   *slog.Logger

	mu      sync.Mutex
	cameras map[string]*supervised
	closed  bool
}

type supervised struct {
	cam     Camera
	hubs    map[string]*Hub
	workers map[string]*Worker
}

// Initialize prepares the supervisor.
func (s *Supervisor) Initialize() {
	if s.Logger == nil {
		s.Logger = slog.Default()
	}
	if s.Metrics == nil {
		s.Metrics = NewMetrics(nil)
	}
	s.cameras = make(map[string]*supervised)
}

// Close stops every worker and closes every hub.
func (s *Supervisor) Close() {
	s.mu.Lock()
	s.closed = true
	cams := s.cameras
	s.cameras = map[string]*supervised{}
	s.mu.Unlock()
	var wg sync.WaitGroup
	for _, c := range cams {
		wg.Add(1)
		go func() {
			defer wg.Done()
			s.stop(c, true)
		}()
	}
	wg.Wait()
}

// Apply makes the running set equal to cams: new cameras start, changed
// ones restart, missing ones stop. Unchanged cameras are not touched.
func (s *Supervisor) Apply(cams []Camera) {
	want := make(map[string]bool, len(cams))
	for _, c := range cams {
		want[c.ID] = true
		s.Upsert(c)
	}
	for _, id := range s.IDs() {
		if !want[id] {
			s.Remove(id)
		}
	}
}

// Upsert starts a camera, or restarts it if its configuration changed.
func (s *Supervisor) Upsert(c Camera) {
	c.Main.Camera, c.Main.Stream = c.ID, StreamMain
	c.Sub.Camera, c.Sub.Stream = c.ID, StreamSub
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		return
	}
	cur, ok := s.cameras[c.ID]
	if ok && cur.cam == c {
		return
	}
	if !ok {
		cur = &supervised{hubs: map[string]*Hub{}, workers: map[string]*Worker{}}
		s.cameras[c.ID] = cur
	}
	// Stopping a worker waits for its goroutine, which never takes s.mu.
	s.stop(cur, false)
	cur.cam = c
	for _, t := range []Target{c.Main, c.Sub} {
		if t.URL == "" {
			if h := cur.hubs[t.Stream]; h != nil {
				h.Close()
				delete(cur.hubs, t.Stream)
				s.Metrics.forget(c.ID, t.Stream)
			}
			continue
		}
		h := cur.hubs[t.Stream]
		if h == nil {
			h = &Hub{Camera: c.ID, Stream: t.Stream, GOPCacheBytes: s.Defaults.GOPCacheBytes, Dropped: s.Metrics.HubDropped}
			cur.hubs[t.Stream] = h
		}
		if !c.Enabled {
			s.Metrics.forget(c.ID, t.Stream)
			continue
		}
		if t.Transport == "" {
			t.Transport = s.Defaults.Transport
		}
		if t.ReadTimeout == 0 {
			t.ReadTimeout = s.Defaults.ReadTimeout
		}
		w := &Worker{
			Target:  t,
			Source:  s.Source,
			Hub:     h,
			Backoff: s.Defaults.Backoff,
			Outages: s.Outages,
			Metrics: s.Metrics,
			Logger:  s.Logger,
		}
		w.Initialize()
		cur.workers[t.Stream] = w
	}
	s.countCameras()
}

// Remove stops a camera and closes its hubs.
func (s *Supervisor) Remove(id string) {
	s.mu.Lock()
	c, ok := s.cameras[id]
	delete(s.cameras, id)
	s.countCameras()
	s.mu.Unlock()
	if ok {
		s.stop(c, true)
	}
}

func (s *Supervisor) stop(c *supervised, closeHubs bool) {
	for name, w := range c.workers {
		w.Close()
		delete(c.workers, name)
	}
	if closeHubs {
		for name, h := range c.hubs {
			h.Close()
			s.Metrics.forget(c.cam.ID, name)
		}
	}
}

func (s *Supervisor) countCameras() {
	enabled := 0
	for _, c := range s.cameras {
		if c.cam.Enabled {
			enabled++
		}
	}
	s.Metrics.Configured.Set(float64(len(s.cameras)))
	s.Metrics.Enabled.Set(float64(enabled))
}

// IDs lists the supervised cameras, sorted.
func (s *Supervisor) IDs() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	ids := make([]string, 0, len(s.cameras))
	for id := range s.cameras {
		ids = append(ids, id)
	}
	sort.Strings(ids)
	return ids
}

// Hub returns a camera stream's hub, or nil.
func (s *Supervisor) Hub(camera, stream string) *Hub {
	s.mu.Lock()
	defer s.mu.Unlock()
	if c, ok := s.cameras[camera]; ok {
		return c.hubs[stream]
	}
	return nil
}

// Status returns a camera's health.
func (s *Supervisor) Status(id string) (CameraStatus, bool) {
	s.mu.Lock()
	c, ok := s.cameras[id]
	if !ok {
		s.mu.Unlock()
		return CameraStatus{}, false
	}
	st := CameraStatus{ID: id, Enabled: c.cam.Enabled}
	workers := make(map[string]*Worker, len(c.workers))
	for k, v := range c.workers {
		workers[k] = v
	}
	streams := []string{}
	for name := range c.hubs {
		streams = append(streams, name)
	}
	s.mu.Unlock()

	sort.Strings(streams)
	for _, name := range streams {
		if w := workers[name]; w != nil {
			st.Streams = append(st.Streams, w.Status())
		} else {
			st.Streams = append(st.Streams, StreamStatus{Stream: name, State: StateDisabled})
		}
	}
	return st, true
}
